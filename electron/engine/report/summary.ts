// Per-configuration summaries of a run's points. Repeats stay in results as individual points;
// a summary only adds a view over them, it never replaces them.
import type { PointRecord } from '../model';
import type { ReplayResults, RunResults } from './types';

export interface SummaryRow {
  backend: string;
  workers: number;
  connections: number;
  /** Points of this configuration that completed (status ok) with a measured rate. */
  n: number;
  /** Points of this configuration that failed or were skipped. */
  not_ok: number;
  requests_per_s_median: number | null;
  requests_per_s_min: number | null;
  requests_per_s_max: number | null;
  latency_p99_us_median: number | null;
}

/** Median of the values; the mean of the middle two for an even count; null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function measured(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/**
 * One row per (backend, workers, connections), backends in the order they first appear (the
 * cell's order), then workers and connections ascending. Only ok points feed the statistics:
 * a failed point's partial numbers would mislead.
 */
export function summarizePoints(points: readonly PointRecord[]): SummaryRow[] {
  const groups = new Map<string, PointRecord[]>();
  for (const p of points) {
    const key = JSON.stringify([p.backend, p.workers, p.connections]);
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  const backendOrder = [...new Set(points.map((p) => p.backend))];
  const rows = [...groups.values()].map((group): SummaryRow => {
    const first = group[0]!;
    const ok = group.filter((p) => p.status === 'ok');
    const rates = measured(ok.map((p) => p.requests_per_s));
    return {
      backend: first.backend,
      workers: first.workers,
      connections: first.connections,
      n: rates.length,
      not_ok: group.length - ok.length,
      requests_per_s_median: median(rates),
      requests_per_s_min: rates.length ? Math.min(...rates) : null,
      requests_per_s_max: rates.length ? Math.max(...rates) : null,
      latency_p99_us_median: median(measured(ok.map((p) => p.latency_p99_us))),
    };
  });
  return rows.sort(
    (a, b) =>
      backendOrder.indexOf(a.backend) - backendOrder.indexOf(b.backend) ||
      a.workers - b.workers ||
      a.connections - b.connections,
  );
}

/** The latest run of an experiment cell: the one started last (ties: the later in the list). */
export function latestRunOf(results: ReplayResults, cellId: string): RunResults | null {
  let latest: RunResults | null = null;
  for (const r of results.runs) {
    if (r.run.cell_id !== cellId) continue;
    if (!latest || r.run.started_at >= latest.run.started_at) latest = r;
  }
  return latest;
}
