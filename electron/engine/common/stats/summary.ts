// Per-configuration summary of repeated measurements: n, median with a distribution-free
// confidence interval, min, max, mean and coefficient of variation.
//
// The interval is the order-statistics interval of the median, the one that goes with the sign
// test (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, ch. 3; benchstat's kind of
// interval too): [x(k), x(n+1-k)] of the sorted sample covers the population median with
// probability 1 - 2·P(B ≤ k-1), B ~ Binomial(n, 1/2), whatever the (continuous) distribution.
// k is the largest rank whose coverage is still ≥ the level, so the achieved coverage is
// reported too (it is discrete: 96.9% at n = 6, 97.9% at n = 10). Below
// n = 6 no pair of order statistics reaches 95% (n = 5 gives at most [min, max] at 93.75%), so
// no interval is given — a bootstrap would print one but could not honour its label.
import { binomialDistribution, coefficientOfVariation, max, mean, medianSorted, min } from 'simple-statistics';

export interface Summary {
  n: number;
  median: number | null;
  /** Bounds of the confidence interval of the median; null when n is too small for `ci_level`. */
  ci_low: number | null;
  ci_high: number | null;
  /** The level asked for (0.95 by default). */
  ci_level: number;
  /** Exact coverage of the interval given (≥ ci_level), null without one. */
  ci_coverage: number | null;
  ci_method: 'order-statistics' | 'none';
  /** 1-based ranks of the order statistics used as bounds. */
  ci_ranks: [number, number] | null;
  /** Why there is no interval, when there is none. */
  ci_note: string | null;
  /** max(median - ci_low, ci_high - median) / median: the precision a repeat policy aims at. */
  ci_half_width_rel: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sample standard deviation / mean; null below 2 values. */
  cv: number | null;
}

export interface OrderStatisticInterval {
  /** 1-based ranks (k, n + 1 - k). */
  lower_rank: number;
  upper_rank: number;
  coverage: number;
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be between 0 and 1 (got ${level})`);
}

/**
 * The narrowest equal-tailed order-statistic interval for the median of n values whose coverage
 * is at least `level`, or null when even [min, max] falls short (n < 6 at 95%).
 */
export function medianIntervalRanks(n: number, level = 0.95): OrderStatisticInterval | null {
  checkLevel(level);
  if (!Number.isInteger(n) || n < 1) return null;
  // P(B = i) for B ~ Binomial(n, 1/2), from i = 0 up; only the lower tail (≤ (1-level)/2) is used.
  const pmf = binomialDistribution(n, 0.5);
  if (!pmf) throw new RangeError(`cannot compute the binomial distribution for n = ${n}`);
  let best: OrderStatisticInterval | null = null;
  let tail = 0; // P(B ≤ k - 1)
  for (let k = 1; k <= Math.floor((n + 1) / 2); k++) {
    tail += pmf[k - 1] ?? 0;
    const coverage = 1 - 2 * tail;
    if (coverage < level) break;
    best = { lower_rank: k, upper_rank: n + 1 - k, coverage };
  }
  return best;
}

function finite(values: readonly number[]): number[] {
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`samples must be finite numbers (got ${String(v)})`);
  }
  return [...values];
}

export function summarize(samples: readonly number[], level = 0.95): Summary {
  checkLevel(level);
  const sorted = finite(samples).sort((a, b) => a - b);
  const n = sorted.length;
  const empty: Summary = {
    n,
    median: null,
    ci_low: null,
    ci_high: null,
    ci_level: level,
    ci_coverage: null,
    ci_method: 'none',
    ci_ranks: null,
    ci_note: 'no samples',
    ci_half_width_rel: null,
    min: null,
    max: null,
    mean: null,
    cv: null,
  };
  if (n === 0) return empty;
  const med = medianSorted(sorted);
  const ranks = medianIntervalRanks(n, level);
  const lo = ranks ? sorted[ranks.lower_rank - 1]! : null;
  const hi = ranks ? sorted[ranks.upper_rank - 1]! : null;
  const half = lo !== null && hi !== null && med !== 0 ? Math.max(med - lo, hi - med) / Math.abs(med) : null;
  return {
    ...empty,
    median: med,
    ci_low: lo,
    ci_high: hi,
    ci_coverage: ranks ? ranks.coverage : null,
    ci_method: ranks ? 'order-statistics' : 'none',
    ci_ranks: ranks ? [ranks.lower_rank, ranks.upper_rank] : null,
    ci_note: ranks ? null : `need ≥ ${minSamplesForInterval(level)} samples for a ${formatLevel(level)} interval of the median (have ${n})`,
    ci_half_width_rel: half,
    min: min(sorted),
    max: max(sorted),
    mean: mean(sorted),
    cv: n >= 2 && mean(sorted) !== 0 ? coefficientOfVariation(sorted) : null,
  };
}

/** The smallest n for which an order-statistic interval of the median reaches `level`. */
export function minSamplesForInterval(level = 0.95): number {
  checkLevel(level);
  // [min, max] covers with 1 - 2^(1-n), so the answer is about 1 - log2(1 - level); searched with
  // the same computation as the interval itself so the two can never disagree.
  for (let n = 1; ; n++) if (medianIntervalRanks(n, level)) return n;
}

export function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(2))}%`;
}
