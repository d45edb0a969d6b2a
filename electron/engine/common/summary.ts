// Per-configuration summaries of a run's points. Repeats stay in results as individual points;
// a summary only adds a view over them, it never replaces them.
import { compareConfigurations, configurationOf } from './axes';
import { TAIL_METRICS } from './metrics';
import { latestRun } from './runs';
import { isMeasured } from './points';
import type { PointRecord } from '../model';
import type { ReplayResults, RunResults } from './results';

/** `latency_p99_us_median`, …: the median of each tail percentile (common/metrics.ts TAIL_METRICS). */
export type TailMedians = Record<`${(typeof TAIL_METRICS)[number]}_median`, number | null>;

export interface SummaryRow extends TailMedians {
  backend: string;
  /** The configuration key (common/axes.ts); the fields after it are its parts. */
  config: string;
  workers: number;
  connections: number;
  rate_per_s: number | null;
  rate_of_capacity: number | null;
  /** Points of this configuration that completed (status ok) with a measured rate. */
  n: number;
  /** Points of this configuration that failed or were skipped. */
  not_ok: number;
  requests_per_s_median: number | null;
  requests_per_s_min: number | null;
  requests_per_s_max: number | null;
  /** Open loop: the median offered rate the generator measured. */
  offered_per_s_median: number | null;
  /** Points of this configuration that carry warnings. */
  warned: number;
}

function tailMedians(ok: readonly PointRecord[]): TailMedians {
  return Object.fromEntries(TAIL_METRICS.map((m) => [`${m}_median`, median(measured(ok.map((p) => p[m])))])) as TailMedians;
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
 * One row per (backend, configuration), backends in the order they first appear (the cell's
 * order), then configurations in sweep order. Only ok measured points feed the statistics: a
 * failed point's partial numbers would mislead, and capacity probes are not points of the sweep.
 */
export function summarizePoints(points: readonly PointRecord[]): SummaryRow[] {
  const groups = new Map<string, PointRecord[]>();
  for (const p of points.filter(isMeasured)) {
    const key = JSON.stringify([p.backend, p.config]);
    const group = groups.get(key);
    if (group) group.push(p);
    else groups.set(key, [p]);
  }
  const backendOrder = [...new Set(points.map((p) => p.backend))];
  const rows = [...groups.values()].map((group): SummaryRow => {
    const first = group[0]!;
    const ok = group.filter((p) => p.status === 'ok');
    const rates = measured(ok.map((p) => p.requests_per_s));
    // The rate asked of a configuration: one value within a run (a fraction of capacity resolves
    // once per run); the median guards a summary over points of several runs.
    const asked = measured(group.map((p) => p.rate_per_s));
    return {
      backend: first.backend,
      config: first.config,
      workers: first.workers,
      connections: first.connections,
      rate_per_s: median(asked),
      rate_of_capacity: first.rate_of_capacity,
      n: rates.length,
      not_ok: group.length - ok.length,
      requests_per_s_median: median(rates),
      requests_per_s_min: rates.length ? Math.min(...rates) : null,
      requests_per_s_max: rates.length ? Math.max(...rates) : null,
      offered_per_s_median: median(measured(ok.map((p) => p.offered_per_s))),
      ...tailMedians(ok),
      warned: ok.filter((p) => p.warnings.length > 0).length,
    };
  });
  return rows.sort((a, b) => backendOrder.indexOf(a.backend) - backendOrder.indexOf(b.backend) || compareConfigurations(configurationOf(a), configurationOf(b)));
}

/** The latest run of an experiment cell (common/runs.ts has the rule). */
export function latestRunOf(results: ReplayResults, cellId: string): RunResults | null {
  return latestRun(results.runs, cellId, (r) => r.run);
}
