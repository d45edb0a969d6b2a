// The measured numbers of a point: one definition each — name, label, short label, unit, how to
// format it, how to read it from a point — and which lists it belongs to. The point record's
// columns (model.ts, the store, results.json, results.csv, the bundle schema), the statistics'
// metrics, the tables, charts and compare view of the report, the UI and the CLI all derive
// from this table. Pure.
import { formatLatencyUs, formatRate } from './format';
import type { LoadResult, Percentiles } from '../model';

export type MetricUnit = 'rate' | 'us';

export interface MetricDef {
  /** Axis titles and long names: "p99.9 latency (µs)". */
  label: string;
  /** Column headers: "p99.9". */
  short: string;
  unit: MetricUnit;
  /** A column of the point record itself (else read from what the point carries). */
  column: boolean;
  /** The latency percentile of the measured phase's histogram this column holds. */
  percentile?: keyof Percentiles;
  /** Summarized per configuration and compared between backends (report/statistics.ts, the gate). */
  stat?: true;
  /** Offered in the compare view. */
  compare?: true;
  /** Not a column: how to read it from the point's driver result. */
  read?: (load: LoadResult | null) => number | null;
}

export const METRICS = {
  requests_per_s: { label: 'requests/s', short: 'req/s', unit: 'rate', column: true, stat: true, compare: true },
  offered_per_s: { label: 'offered requests/s', short: 'offered/s', unit: 'rate', column: true },
  // Server side only: its threads, libsaio's kernel workers, SQPOLL and io-wq (runner/cpu-accounting.ts).
  requests_per_cpu_s: { label: 'requests per server CPU second', short: 'req/CPU-s', unit: 'rate', column: true, stat: true, compare: true },
  latency_p50_us: { label: 'p50 latency (µs)', short: 'p50', unit: 'us', column: true, percentile: 'p50', stat: true, compare: true },
  latency_p90_us: { label: 'p90 latency (µs)', short: 'p90', unit: 'us', column: true, percentile: 'p90' },
  latency_p99_us: { label: 'p99 latency (µs)', short: 'p99', unit: 'us', column: true, percentile: 'p99', stat: true, compare: true },
  latency_p999_us: { label: 'p99.9 latency (µs)', short: 'p99.9', unit: 'us', column: true, percentile: 'p999', stat: true, compare: true },
  latency_max_us: { label: 'max latency (µs)', short: 'max', unit: 'us', column: true },
  // Open loop: latency counts from the time a request was due (so a stalled server cannot hide
  // its stall by slowing the sender); service time counts from when it was really sent.
  service_p99_us: { label: 'p99 service time (µs, uncorrected)', short: 'service p99', unit: 'us', column: false, compare: true, read: (l) => l?.service_us?.p99 ?? null },
  service_p999_us: { label: 'p99.9 service time (µs, uncorrected)', short: 'service p99.9', unit: 'us', column: false, read: (l) => l?.service_us?.p999 ?? null },
} as const satisfies Record<string, MetricDef>;

export type Metric = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

type Having<K extends keyof MetricDef> = { [M in Metric]: (typeof METRICS)[M] extends Record<K, unknown> ? M : never }[Metric];

/** The metrics that are columns of the point record (PointRecord, the points table, CSV, bundles). */
export type ColumnMetric = { [M in Metric]: (typeof METRICS)[M]['column'] extends true ? M : never }[Metric];
/** The latency percentiles stored per point, lowest first. */
export type PercentileMetric = Having<'percentile'>;
export type StatMetric = Having<'stat'>;
export type CompareMetric = Having<'compare'>;

const having = <M extends Metric>(test: (d: MetricDef) => boolean) => METRIC_NAMES.filter((m) => test(METRICS[m])) as M[];

/**
 * Columns in record order, except requests_per_cpu_s (it came with CPU accounting and stands after
 * the verification fields everywhere a point is written out).
 */
export const POINT_COLUMNS = having<ColumnMetric>((d) => d.column).filter((m) => m !== 'requests_per_cpu_s') as Exclude<ColumnMetric, 'requests_per_cpu_s'>[];
export const PERCENTILE_METRICS = having<PercentileMetric>((d) => d.percentile !== undefined);
export const STAT_METRICS = having<StatMetric>((d) => d.stat === true);
export const COMPARE_METRICS = having<CompareMetric>((d) => d.compare === true);
/** The seed's tail: what summaries of a configuration and the tail-latency figure show. */
export const TAIL_METRICS = ['latency_p99_us', 'latency_p999_us'] as const satisfies readonly PercentileMetric[];

/** The latency columns of a points table (report, UI): every stored percentile, then the maximum. */
export const LATENCY_COLUMNS = [...PERCENTILE_METRICS, 'latency_max_us'] as const;

/** The point's own columns, each null: a point that measured nothing. */
export function noMetrics(): Record<ColumnMetric, null> {
  return Object.fromEntries(having<ColumnMetric>((d) => d.column).map((m) => [m, null])) as Record<ColumnMetric, null>;
}

/** The percentile columns of a latency distribution (null where it has none). */
export function percentileColumns(latency: Partial<Percentiles> | null | undefined): Record<PercentileMetric, number | null> {
  return Object.fromEntries(PERCENTILE_METRICS.map((m) => [m, latency?.[METRICS[m].percentile] ?? null])) as Record<PercentileMetric, number | null>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What a point says for a metric, or null (not measured, not finite). */
export function metricValue(p: Record<ColumnMetric, number | null> & { load: LoadResult | null }, m: Metric): number | null {
  const d: MetricDef = METRICS[m];
  return num(d.read ? d.read(p.load) : p[m as ColumnMetric]);
}

/** A value as the tables show it: requests/s with thousands separators, latencies in µs or ms. */
export function formatMetric(m: Metric, v: number | null | undefined): string {
  return METRICS[m].unit === 'rate' ? formatRate(v) : formatLatencyUs(v);
}
