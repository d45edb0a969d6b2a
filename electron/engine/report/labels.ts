// How the report and the UI name the numbers of a point on an axis or in a table header.
export const METRIC_LABELS = {
  connections: 'connections',
  workers: 'server workers',
  requests_per_s: 'requests/s',
  latency_p50_us: 'p50 latency (µs)',
  latency_p90_us: 'p90 latency (µs)',
  latency_p99_us: 'p99 latency (µs)',
  latency_p999_us: 'p99.9 latency (µs)',
  latency_max_us: 'max latency (µs)',
} as const;

export type Metric = keyof typeof METRIC_LABELS;
