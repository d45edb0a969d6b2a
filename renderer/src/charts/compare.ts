// Several runs side by side: one chart, and a table of each configuration's median with its 95% CI
// and, against a baseline run, the ratio with its CI, p and verdict (runs independent: unpaired).
import { compareConfigurations, configurationOf } from '../../../electron/engine/common/axes';
import type { Metric } from '../../../electron/engine/common/metrics';
import type { PointRecord } from '../../../electron/engine/model';
import { fieldValue } from '../../../electron/engine/common/chart';
import { fieldLabel, type PlotField } from '../../../electron/engine/common/labels';
import { median } from '../../../electron/engine/common/summary';
import type { RunResults } from '../../../electron/engine/common/results';
import { compare, type Comparison, type Verdict } from '../../../electron/engine/common/stats/compare';
import { metricDirection } from '../../../electron/engine/common/stats/metrics';
import { summarize } from '../../../electron/engine/common/stats/summary';
import { countLayout, METRIC_LABELS, okPoints, seriesTraces, warnedCount, type Figure } from './traces';

function metricKnown(m: string): boolean {
  try {
    metricDirection(m);
    return true;
  } catch {
    return false;
  }
}

/** Two runs' repeats of one configuration (independent runs: unpaired); null when they cannot be compared. */
function safeCompare(reference: number[], candidate: number[], metric: string, seed: string): Comparison | null {
  try {
    return compare(reference, candidate, { metric, paired: false, seed });
  } catch {
    return null;
  }
}

export interface LabelledRun {
  label: string;
  results: RunResults;
}

/** Several runs on one chart: metric against connections (closed loop) or against achieved requests/s (open loop), one colour per run. */
export function compareFigure(runs: readonly LabelledRun[], metric: Metric): Figure {
  const groups = new Map<string, PointRecord[]>();
  for (const r of runs) groups.set(r.label, okPoints(r.results));
  const all = [...groups.values()].flat();
  const open = all.length > 0 && all.every((p) => p.rate_per_s !== null);
  const x: PlotField = open ? 'requests_per_s' : 'connections';
  const l = countLayout(fieldLabel(x), METRIC_LABELS[metric], open ? undefined : { field: 'connections', values: all.map((p) => p.connections) });
  if (all.length === 0) return { data: [], layout: l, empty: 'pick runs with finished points' };
  return { data: seriesTraces(groups, x, metric), layout: l, warned: warnedCount(all) };
}

export interface CompareRow {
  /** The backend and configuration key. */
  key: string;
  backend: string;
  config: string;
  workers: number;
  connections: number;
  /**
   * Per run (same order as the input): median of the metric over repeats with its 95% CI (order
   * statistics; null below 6 repeats), the repeat count, and against the baseline run the ratio of
   * medians with its bootstrap CI, the Mann-Whitney p (runs are independent: unpaired) and the verdict.
   */
  cells: {
    median: number | null;
    ci_low: number | null;
    ci_high: number | null;
    n: number;
    min: number | null;
    max: number | null;
    ratio: number | null;
    ratio_ci: [number, number] | null;
    p_value: number | null;
    verdict: Verdict | null;
    reason: string | null;
    warned: number;
  }[];
}

/** One row per configuration (backend and configuration key) across runs, ratios to the baseline. */
export function compareTable(runs: readonly RunResults[], baselineIndex: number, metric: Metric): CompareRow[] {
  const keys = new Map<string, PointRecord>();
  for (const r of runs) for (const p of okPoints(r)) keys.set(`${p.backend}|${p.config}`, p);
  const sorted = [...keys.entries()].sort(([, a], [, b]) => a.backend.localeCompare(b.backend) || compareConfigurations(configurationOf(a), configurationOf(b)));
  return sorted.map(([key, first]) => {
    const stats = runs.map((r) => {
      const pts = okPoints(r).filter((p) => `${p.backend}|${p.config}` === key);
      const vs = pts.map((p) => fieldValue(p, metric)).filter((v): v is number => v !== null);
      const sum = vs.length ? summarize(vs) : null;
      return {
        values: vs,
        median: median(vs),
        ci_low: sum?.ci_low ?? null,
        ci_high: sum?.ci_high ?? null,
        n: vs.length,
        min: vs.length ? Math.min(...vs) : null,
        max: vs.length ? Math.max(...vs) : null,
        warned: warnedCount(pts),
      };
    });
    const baseStats = stats[baselineIndex];
    const base = baseStats?.median ?? null;
    return {
      key,
      backend: first.backend,
      config: first.config,
      workers: first.workers,
      connections: first.connections,
      cells: stats.map(({ values, ...s }, i) => {
        const c = i !== baselineIndex && base && baseStats && values.length > 0 && metricKnown(metric) ? safeCompare(baseStats.values, values, metric, key) : null;
        return {
          ...s,
          ratio: base && s.median !== null ? s.median / base : null,
          ratio_ci: c ? ([c.ci_low, c.ci_high] as [number, number]) : null,
          p_value: c?.p_value ?? null,
          verdict: c?.verdict ?? null,
          reason: c?.reason ?? null,
        };
      }),
    };
  });
}
