// The measured numbers of a point that tables, charts and comparisons can show: one definition
// each (name, label, unit, how to read it from a point). Pure.
import type { PointRecord } from '../model';

export type MetricUnit = 'rate' | 'us';

export interface MetricDef {
  label: string;
  unit: MetricUnit;
  value(p: PointRecord): number | null;
}

const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const METRICS = {
  requests_per_s: { label: 'requests/s', unit: 'rate', value: (p) => num(p.requests_per_s) },
  offered_per_s: { label: 'offered requests/s', unit: 'rate', value: (p) => num(p.offered_per_s) },
  // Server side only: its threads, libsaio's kernel workers, SQPOLL and io-wq (runner/cpu-accounting.ts).
  requests_per_cpu_s: { label: 'requests per server CPU second', unit: 'rate', value: (p) => num(p.requests_per_cpu_s) },
  latency_p50_us: { label: 'p50 latency (µs)', unit: 'us', value: (p) => num(p.latency_p50_us) },
  latency_p90_us: { label: 'p90 latency (µs)', unit: 'us', value: (p) => num(p.latency_p90_us) },
  latency_p99_us: { label: 'p99 latency (µs)', unit: 'us', value: (p) => num(p.latency_p99_us) },
  latency_p999_us: { label: 'p99.9 latency (µs)', unit: 'us', value: (p) => num(p.latency_p999_us) },
  latency_max_us: { label: 'max latency (µs)', unit: 'us', value: (p) => num(p.latency_max_us) },
  // Open loop: latency counts from the time a request was due (so a stalled server cannot hide
  // its stall by slowing the sender); service time counts from when it was really sent.
  service_p99_us: { label: 'p99 service time (µs, uncorrected)', unit: 'us', value: (p) => num(p.load?.service_us?.p99) },
  service_p999_us: { label: 'p99.9 service time (µs, uncorrected)', unit: 'us', value: (p) => num(p.load?.service_us?.p999) },
} as const satisfies Record<string, MetricDef>;

export type Metric = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as Metric[];

export function metricValue(p: PointRecord, m: Metric): number | null {
  return METRICS[m].value(p);
}
