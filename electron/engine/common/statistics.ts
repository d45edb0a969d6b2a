// The statistics of a run (issue 12): per configuration and metric a summary with the 95% interval
// of its median; every backend against the cell's reference backend with a ratio, its interval, a
// p-value and a verdict; the A/A noise guard; the repeat policy's outcome. Pure: stored points in,
// records out (stats/ holds the methods; this file only groups points and names them).
import { compareConfigurations, configurationOf } from './axes';
import { METRICS, STAT_METRICS, type MetricDef, type StatMetric } from './metrics';
import { mergeHistograms, percentiles, readHistogram, type LogHistogram } from './histogram';
import type { Percentiles, PointRecord } from '../model';
import type { RunResults } from './results';
import type { ExperimentCell, Notebook } from './notebook/schema';
import { repeatPolicyOf, referenceOf } from './notebook/cell-settings';
import { compare, type Comparison, type Verdict } from './stats/compare';
import { noiseGuard, TOO_NOISY, type NoiseGuard } from './stats/noise';
import { repeatDecision, type RepeatReason } from './stats/repeats';
import { summarize, type Summary } from './stats/summary';

/** The metrics summarised and compared, in table order: those common/metrics.ts marks `stat`. */
export { STAT_METRICS, type StatMetric };

/** The metric the repeat policy and the noise guard look at. */
export const HEADLINE_METRIC: StatMetric = 'requests_per_s';

/** Backends that do the same work as the reference: saio-sync is libsaio loaded and passing every call through. */
export const AA_BACKENDS: Readonly<Record<string, string>> = { 'saio-sync': 'baseline' };

export interface ConfigSummary extends Summary {
  cell_id: string;
  run_id: string;
  backend: string;
  /** The configuration key (common/axes.ts). */
  config: string;
  metric: StatMetric;
  /** One value per repeat, in repeat order (null: the repeat failed or has no such number). */
  samples: (number | null)[];
  /** What the repeat policy decided for this series (requests/s only; null for other metrics). */
  repeats: { reason: RepeatReason; message: string } | null;
  /** Latency metrics: the percentile of all repeats' samples together (histograms merged exactly); null without histograms. */
  merged: number | null;
}

export interface ConfigComparison {
  cell_id: string;
  run_id: string;
  config: string;
  backend: string;
  reference: string;
  metric: StatMetric;
  ratio: number;
  ci_low: number;
  ci_high: number;
  p_value: number;
  verdict: Verdict;
  test: Comparison['test'];
  ci_method: Comparison['ci_method'];
  n_reference: number;
  n_candidate: number;
  reference_median: number;
  candidate_median: number;
  min_attainable_p: number | null;
  reason: string;
  /** An A/A comparison (like against like): it checks the machine, it says nothing about SAIO. */
  aa: boolean;
  /** 'machine too noisy' when an A/A comparison of this run was not ~. */
  noise: typeof TOO_NOISY | null;
}

export interface RunNoise extends NoiseGuard {
  cell_id: string;
  run_id: string;
}

export interface RunStatistics {
  summaries: ConfigSummary[];
  comparisons: ConfigComparison[];
  noise: RunNoise;
}

function metricOf(p: PointRecord, m: StatMetric): number | null {
  const v = p[m];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const PERCENTILE_OF = (m: StatMetric): keyof Percentiles | undefined => (METRICS[m] as MetricDef).percentile;

/** The latency histogram of every ok repeat merged (saio-load's); null when any repeat lacks one. */
function mergedLatency(points: readonly PointRecord[]): Percentiles | null {
  const hs: LogHistogram[] = [];
  for (const p of points) {
    if (!p.load?.histogram) return null;
    try {
      hs.push(readHistogram(p.load.histogram));
    } catch {
      return null;
    }
  }
  if (hs.length === 0) return null;
  const m = mergeHistograms(hs);
  return percentiles(m.latency, m.sub_bucket_bits);
}

interface Series {
  backend: string;
  config: string;
  /** By repeat number. */
  byRepeat: Map<number, PointRecord>;
}

/** Groups a run's measured points by backend and configuration, both in sweep order. */
function seriesOf(points: readonly PointRecord[]): { series: Series[]; repeats: number[] } {
  const groups = new Map<string, Series>();
  const repeats = new Set<number>();
  for (const p of points) {
    if (p.kind !== 'measure') continue;
    repeats.add(p.repeat);
    const key = JSON.stringify([p.backend, p.config]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { backend: p.backend, config: p.config, byRepeat: new Map() }));
    g.byRepeat.set(p.repeat, p);
  }
  const backends = [...new Set(points.map((p) => p.backend))];
  const conf = new Map(points.map((p) => [p.config, configurationOf(p)]));
  const series = [...groups.values()].sort((a, b) => compareConfigurations(conf.get(a.config)!, conf.get(b.config)!) || backends.indexOf(a.backend) - backends.indexOf(b.backend));
  return { series, repeats: [...repeats].sort((a, b) => a - b) };
}

/** One value per repeat (aligned across backends, so alternated repeats pair up); null where missing or not ok. */
function samplesOf(s: Series, repeats: readonly number[], m: StatMetric): (number | null)[] {
  return repeats.map((r) => {
    const p = s.byRepeat.get(r);
    return p && p.status === 'ok' ? metricOf(p, m) : null;
  });
}

const present = (xs: readonly (number | null)[]): number[] => xs.filter((v): v is number => v !== null);

/**
 * Summaries, comparisons and the noise guard of one run of `cell` (undefined: a cell no longer in
 * the notebook; then the reference is baseline or the first backend, and a fixed repeat count).
 */
export function runStatistics(cellId: string, runId: string, points: readonly PointRecord[], cell: ExperimentCell | undefined, quick: boolean): RunStatistics {
  const { series, repeats } = seriesOf(points);
  const backends = [...new Set(series.map((s) => s.backend))];
  const reference = cell && backends.includes(referenceOf(cell)) ? referenceOf(cell) : backends.includes('baseline') ? 'baseline' : (backends[0] ?? 'baseline');
  const policy = cell ? repeatPolicyOf(cell, quick) : null;

  const summaries: ConfigSummary[] = [];
  for (const s of series) {
    const ok = [...s.byRepeat.values()].filter((p) => p.status === 'ok');
    const merged = mergedLatency(ok);
    for (const metric of STAT_METRICS) {
      const samples = samplesOf(s, repeats, metric);
      const values = present(samples);
      if (values.length === 0 && metric !== HEADLINE_METRIC) continue;
      let repeatOutcome: ConfigSummary['repeats'] = null;
      if (metric === HEADLINE_METRIC && policy?.target_ci !== null && policy !== null) {
        const d = repeatDecision(policy, values);
        // The runner stops a series when its round count reaches max, whatever its failed repeats left it with.
        if (d.action === 'continue' && repeats.length >= policy.max) repeatOutcome = { reason: 'max-reached', message: `stopped at the maximum of ${policy.max} rounds: ${d.message}` };
        else if (d.action === 'continue') repeatOutcome = { reason: d.reason, message: `the run ended before the policy stopped: ${d.message}` };
        else repeatOutcome = { reason: d.reason, message: d.message };
      }
      const pct = PERCENTILE_OF(metric);
      summaries.push({
        cell_id: cellId,
        run_id: runId,
        backend: s.backend,
        config: s.config,
        metric,
        ...summarize(values),
        samples,
        repeats: repeatOutcome,
        merged: pct && merged ? (merged[pct] ?? null) : null,
      });
    }
  }

  const comparisons: ConfigComparison[] = [];
  const aaChecks: { label: string; comparison: Comparison }[] = [];
  const refSeries = new Map(series.filter((s) => s.backend === reference).map((s) => [s.config, s]));
  for (const s of series) {
    if (s.backend === reference) continue;
    const ref = refSeries.get(s.config);
    if (!ref) continue;
    const aa = AA_BACKENDS[s.backend] === reference;
    for (const metric of STAT_METRICS) {
      const r = samplesOf(ref, repeats, metric);
      const c = samplesOf(s, repeats, metric);
      // Paired by repeat: the planner runs every backend of a configuration side by side in each round.
      const pairs = r.filter((v, i) => v !== null && c[i] !== null).length;
      if (pairs === 0) continue;
      let cmp: Comparison;
      try {
        cmp = compare(r, c, { metric, paired: true, seed: `${s.config} ${s.backend} ${metric}` });
      } catch {
        continue; // e.g. a zero median: no ratio to speak of
      }
      if (aa && metric === HEADLINE_METRIC) aaChecks.push({ label: `${s.backend} vs ${reference}, ${s.config}`, comparison: cmp });
      comparisons.push({
        cell_id: cellId,
        run_id: runId,
        config: s.config,
        backend: s.backend,
        reference,
        metric,
        ratio: cmp.ratio,
        ci_low: cmp.ci_low,
        ci_high: cmp.ci_high,
        p_value: cmp.p_value,
        verdict: cmp.verdict,
        test: cmp.test,
        ci_method: cmp.ci_method,
        n_reference: cmp.n_reference,
        n_candidate: cmp.n_candidate,
        reference_median: cmp.reference_median,
        candidate_median: cmp.candidate_median,
        min_attainable_p: cmp.min_attainable_p,
        reason: cmp.reason,
        aa,
        noise: null,
      });
    }
  }
  const guard = noiseGuard(aaChecks);
  for (const c of comparisons) c.noise = guard.flag;
  return { summaries, comparisons, noise: { cell_id: cellId, run_id: runId, ...guard } };
}

/** The statistics of a notebook's runs, in their order, each run judged by its cell's settings: what a report shows. */
export function notebookStatistics(runs: readonly RunResults[], nb: Notebook): { summaries: ConfigSummary[]; comparisons: ConfigComparison[]; noise: RunNoise[] } {
  const stats = runs.map((r) => {
    const cell = nb.cells.find((c) => c.id === r.run.cell_id && c.type === 'experiment');
    return runStatistics(r.run.cell_id, r.run.id, r.points, cell?.type === 'experiment' ? cell : undefined, r.run.quick);
  });
  return { summaries: stats.flatMap((s) => s.summaries), comparisons: stats.flatMap((s) => s.comparisons), noise: stats.map((s) => s.noise) };
}

/** The summary of one series and metric, if any. */
export function findSummary(summaries: readonly ConfigSummary[], backend: string, config: string, metric: StatMetric): ConfigSummary | undefined {
  return summaries.find((s) => s.backend === backend && s.config === config && s.metric === metric);
}
