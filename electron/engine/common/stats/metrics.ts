// Which way is better, per metric. A ratio above 1 is "faster" for a rate and "slower" for a
// latency; getting this wrong would paint regressions green, so unknown metrics are refused
// rather than guessed.

export type Direction = 'higher' | 'lower';

const DIRECTIONS: Readonly<Record<string, Direction>> = {
  requests_per_s: 'higher',
  requests_per_cpu_s: 'higher',
  bytes_per_s: 'higher',
  cpu_s: 'lower',
  cpu_s_per_request: 'lower',
};

/** Latency-like metrics (`latency_p99_us`, `service_p50_us`, …): lower is better. */
const LOWER_PREFIXES = ['latency_', 'service_'];

export function metricDirection(metric: string): Direction {
  const known = DIRECTIONS[metric];
  if (known) return known;
  if (LOWER_PREFIXES.some((p) => metric.startsWith(p))) return 'lower';
  throw new RangeError(`unknown metric "${metric}": pass its direction ('higher' or 'lower' is better) explicitly`);
}
