// Regression check for `replay`: each configuration's median requests/s in the new run against
// the same configuration in the previous finished run of the same cell (typically the run a
// bundle carried in). Timings here are noisy, so only a drop beyond a tolerance counts, and only
// runs of the same kind (quick or full) are compared.
import type { PointRecord, RunRecord } from '../model';
import { summarizePoints } from './summary';

export interface Comparison {
  cell_id: string;
  backend: string;
  /** The configuration key (common/axes.ts). */
  config: string;
  workers: number;
  connections: number;
  previous_run: string;
  previous_rps: number;
  rps: number;
  ratio: number;
  regressed: boolean;
}

export function compareRuns(
  previous: { run: RunRecord; points: PointRecord[] },
  current: { run: RunRecord; points: PointRecord[] },
  tolerance: number,
): Comparison[] {
  const before = summarizePoints(previous.points);
  const out: Comparison[] = [];
  for (const row of summarizePoints(current.points)) {
    const old = before.find((b) => b.backend === row.backend && b.config === row.config);
    if (!old?.requests_per_s_median || row.requests_per_s_median === null) continue;
    const ratio = row.requests_per_s_median / old.requests_per_s_median;
    out.push({
      cell_id: current.run.cell_id,
      backend: row.backend,
      config: row.config,
      workers: row.workers,
      connections: row.connections,
      previous_run: previous.run.id,
      previous_rps: old.requests_per_s_median,
      rps: row.requests_per_s_median,
      ratio,
      regressed: ratio < 1 - tolerance,
    });
  }
  return out;
}

/** The latest finished ok run of a cell, of the same kind, started before `before`. */
export function previousRun(runs: readonly RunRecord[], cellId: string, quick: boolean, before: string): RunRecord | undefined {
  return runs.filter((r) => r.cell_id === cellId && r.status === 'ok' && r.quick === quick && r.started_at < before).at(-1);
}
