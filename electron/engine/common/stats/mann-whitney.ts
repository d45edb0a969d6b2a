// Mann-Whitney U test (Wilcoxon rank-sum), two-sided: do two sets of repeats come from the same
// distribution, or is one shifted? No normality assumed — benchmark samples are skewed and carry
// outliers. This is the test benchstat uses.
//
// - Small samples (m + n ≤ EXACT_MAX_N): the exact permutation distribution of the rank sum,
//   conditional on the observed ties (tied values take their mid-rank, as everywhere), counted by
//   dynamic programming over the doubled mid-ranks (integers). Without ties this is the classical
//   exact null distribution of U; with ties it is the exact permutation test of the same
//   statistic (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, ch. 4).
// - Larger samples: the normal approximation with the tie-corrected variance
//   σ² = mn/12 · ((N + 1) - Σ(t³ - t) / (N(N - 1))) and a continuity correction of 1/2 — the same
//   formula as scipy.stats.mannwhitneyu(method='asymptotic', use_continuity=True).
//
// The two-sided p-value is min(1, 2·min(P(S ≤ s), P(S ≥ s))) for the observed rank sum s.
import { errorFunction, wilcoxonRankSum } from 'simple-statistics';
import { doubledMidRanks, exactTwoSided } from './ranks';

/** Largest pooled sample size for which the exact distribution is computed. */
export const EXACT_MAX_N = 60;

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, plus half of the pairs with x = y. */
  u: number;
  /** Two-sided p-value. */
  p_value: number;
  method: 'exact' | 'normal';
  /** Whether any value occurs in both or within either sample more than once. */
  ties: boolean;
  /** The standardised statistic, for the normal approximation. */
  z: number | null;
  /**
   * The smallest two-sided p-value these sample sizes (and ties) can produce at all. When it is
   * not below α, no difference can be detected whatever the data: e.g. 3 vs 3 repeats give 0.1.
   */
  min_attainable_p: number | null;
}

function check(name: string, s: readonly number[]): void {
  if (s.length === 0) throw new RangeError(`Mann-Whitney U: the ${name} sample is empty`);
  for (const v of s) if (!Number.isFinite(v)) throw new TypeError(`Mann-Whitney U: ${name} holds a non-finite value (${v})`);
}

/**
 * Counts of m-subsets of the doubled ranks by their sum: counts[s] is how many ways m of the N
 * values can have doubled rank sum s (as a float: up to C(60, 30) ≈ 1.2e17, exact enough).
 */
function rankSumCounts(doubled: readonly number[], m: number): Float64Array {
  const maxSum = doubled.reduce((a, b) => a + b, 0);
  const width = maxSum + 1;
  // dp[k * width + s]: subsets of size k of the items seen so far with sum s.
  const dp = new Float64Array((m + 1) * width);
  dp[0] = 1;
  for (const d of doubled) {
    // 0/1 knapsack in place: row k+1 is built from row k before row k takes this item (k falls).
    for (let k = m - 1; k >= 0; k--) {
      const from = k * width;
      const to = (k + 1) * width + d;
      for (let s = 0; s + d < width; s++) {
        const c = dp[from + s]!;
        if (c !== 0) dp[to + s]! += c;
      }
    }
  }
  return dp.slice(m * width, (m + 1) * width);
}

/** Standard normal upper tail, 1 - Φ(z), through simple-statistics' erf (error < 1.2e-7). */
export function normalUpperTail(z: number): number {
  return 0.5 * (1 - errorFunction(z / Math.SQRT2));
}

export function mannWhitneyU(x: readonly number[], y: readonly number[], exactMaxN = EXACT_MAX_N): MannWhitneyResult {
  check('first', x);
  check('second', y);
  const m = x.length;
  const n = y.length;
  const N = m + n;
  // simple-statistics ranks the pooled values with mid-ranks for ties and sums those of x.
  const rankSum = wilcoxonRankSum([...x], [...y]);
  const u = rankSum - (m * (m + 1)) / 2;
  const { doubled, tieSizes } = doubledMidRanks([...x, ...y]);
  const ties = tieSizes.some((t) => t > 1);

  if (N <= exactMaxN) {
    const { p, minP } = exactTwoSided(rankSumCounts(doubled, m), Math.round(2 * rankSum));
    return { u, p_value: p, method: 'exact', ties, z: null, min_attainable_p: minP };
  }
  const mu = (m * n) / 2;
  const tieTerm = tieSizes.reduce((a, t) => a + (t * t * t - t), 0) / (N * (N - 1));
  const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - tieTerm));
  if (sigma === 0) return { u, p_value: 1, method: 'normal', ties, z: 0, min_attainable_p: null };
  const z = Math.max(0, Math.abs(u - mu) - 0.5) / sigma;
  return { u, p_value: Math.min(1, 2 * normalUpperTail(z)), method: 'normal', ties, z, min_attainable_p: null };
}
