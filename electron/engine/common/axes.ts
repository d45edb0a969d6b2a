// The named sweep axes and the one configuration key. A configuration is the value of every axis
// at one point (the backend aside: backends are compared *at* a configuration). The planner, the
// store, results.csv, the charts and the regression check all name a configuration by
// configKey(); nothing else builds one. Pure: no Node, no engine state (the renderer uses it too).

/** Axes a cell may sweep, in the order the planner nests them (outermost first). */
export const SWEEP_AXES = ['workers', 'connections', 'rate'] as const;
export type SweepAxis = (typeof SWEEP_AXES)[number];

/** An open-loop rate as the notebook names it: absolute requests/s, or a fraction of a measured capacity. */
export type RateSetting = { per_s: number } | { of_capacity: number };

export interface Configuration {
  workers: number;
  connections: number;
  /** null: closed loop (the load generator sends the next request when a response arrives). */
  rate: RateSetting | null;
}

/** What a stored point says about its configuration (PointRecord has these fields). */
export interface ConfiguredPoint {
  workers: number;
  connections: number;
  /** The rate the generator was asked to offer (resolved from a fraction when swept that way). */
  rate_per_s: number | null;
  /** The fraction of capacity when the sweep named the rate that way. */
  rate_of_capacity: number | null;
}

function rateText(rate: RateSetting | null): string {
  if (rate === null) return 'closed';
  return 'per_s' in rate ? `rate=${rate.per_s}/s` : `rate=${rate.of_capacity}cap`;
}

/**
 * The configuration key: `w=1 c=100 closed`, `w=1 c=100 rate=5000/s`, `w=1 c=100 rate=0.5cap`.
 * A rate swept as a fraction of capacity is keyed by the fraction, not by the absolute rate it
 * resolved to, so the same cell run twice (with two capacity measurements) has the same keys.
 */
export function configKey(c: Configuration): string {
  return `w=${c.workers} c=${c.connections} ${rateText(c.rate)}`;
}

export function configurationOf(p: ConfiguredPoint): Configuration {
  const rate: RateSetting | null = p.rate_of_capacity !== null ? { of_capacity: p.rate_of_capacity } : p.rate_per_s !== null ? { per_s: p.rate_per_s } : null;
  return { workers: p.workers, connections: p.connections, rate };
}

/** Configurations in sweep order: workers, then connections, then closed loop before rates, rates ascending. */
export function compareConfigurations(a: Configuration, b: Configuration): number {
  const rank = (r: RateSetting | null) => (r === null ? [0, 0] : 'per_s' in r ? [1, r.per_s] : [2, r.of_capacity]);
  const [ka, va] = rank(a.rate);
  const [kb, vb] = rank(b.rate);
  return a.workers - b.workers || a.connections - b.connections || ka! - kb! || va! - vb!;
}

/** The value a point has on a sweep axis, as a number a chart can place (rate: requests/s asked for). */
export function axisValue(p: ConfiguredPoint, axis: SweepAxis): number | null {
  switch (axis) {
    case 'workers':
      return p.workers;
    case 'connections':
      return p.connections;
    case 'rate':
      return p.rate_per_s;
  }
}

export const AXIS_LABELS: Record<SweepAxis, string> = {
  workers: 'server workers',
  connections: 'connections',
  rate: 'offered requests/s (asked)',
};
