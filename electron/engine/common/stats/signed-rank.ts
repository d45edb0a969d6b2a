// Wilcoxon signed-rank test, two-sided, for paired repeats (backends alternated in one run, so
// repeat i of each ran side by side). It tests whether the within-pair log ratios
// log(candidate_i / reference_i) are centred on 0. Pairing removes what the pair shares — a slow
// phase of the machine moves both sides — which the unpaired Mann-Whitney test counts as noise:
// with a ±15% drift between repeats, a steady 4% gain is invisible to U and plain to this test.
//
// - Zero differences are dropped (Wilcoxon's convention; scipy's zero_method='wilcox').
// - n ≤ EXACT_MAX_N: the exact distribution of W+ (sum of the positive differences' ranks),
//   conditional on ties among |d| (mid-ranks, doubled to integers): each rank enters W+ with
//   probability 1/2, counted by dynamic programming (Hollander, Wolfe & Chicken, ch. 3).
// - Larger n: normal approximation, σ² = n(n+1)(2n+1)/24 - Σ(t³ - t)/48, continuity 1/2.
import { doubledMidRanks, exactTwoSided } from './ranks';
import { normalUpperTail } from './mann-whitney';

export const SIGNED_RANK_EXACT_MAX_N = 60;

export interface SignedRankResult {
  /** Sum of the ranks of the positive differences (mid-ranks for ties). */
  w_plus: number;
  p_value: number;
  method: 'exact' | 'normal';
  /** Pairs used (non-zero differences). */
  n: number;
  /** Pairs dropped because both sides were equal. */
  zeros: number;
  ties: boolean;
  z: number | null;
  /** The smallest two-sided p this many pairs (and ties) can produce. */
  min_attainable_p: number | null;
}

/** Counts of doubled W+ values over the 2^n equally likely sign patterns. */
function signedRankCounts(doubled: readonly number[]): Float64Array {
  const width = doubled.reduce((a, b) => a + b, 0) + 1;
  const dp = new Float64Array(width);
  dp[0] = 1;
  for (const d of doubled) {
    for (let s = width - 1 - d; s >= 0; s--) {
      const c = dp[s]!;
      if (c !== 0) dp[s + d]! += c;
    }
  }
  return dp;
}

/** The test on differences d (already log ratios or plain differences). */
export function wilcoxonSignedRank(differences: readonly number[], exactMaxN = SIGNED_RANK_EXACT_MAX_N): SignedRankResult {
  for (const v of differences) if (!Number.isFinite(v)) throw new TypeError(`signed-rank test: non-finite difference ${v}`);
  const d = differences.filter((v) => v !== 0);
  const zeros = differences.length - d.length;
  const n = d.length;
  if (n === 0) return { w_plus: 0, p_value: 1, method: 'exact', n, zeros, ties: false, z: null, min_attainable_p: 1 };
  const { doubled, tieSizes } = doubledMidRanks(d.map(Math.abs));
  const ties = tieSizes.some((t) => t > 1);
  const doubledW = d.reduce((a, v, i) => (v > 0 ? a + doubled[i]! : a), 0);
  const w_plus = doubledW / 2;
  if (n <= exactMaxN) {
    const { p, minP } = exactTwoSided(signedRankCounts(doubled), doubledW);
    return { w_plus, p_value: p, method: 'exact', n, zeros, ties, z: null, min_attainable_p: minP };
  }
  const mu = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieSizes.reduce((a, t) => a + (t * t * t - t), 0) / 48;
  if (variance <= 0) return { w_plus, p_value: 1, method: 'normal', n, zeros, ties, z: 0, min_attainable_p: null };
  const z = Math.max(0, Math.abs(w_plus - mu) - 0.5) / Math.sqrt(variance);
  return { w_plus, p_value: Math.min(1, 2 * normalUpperTail(z)), method: 'normal', n, zeros, ties, z, min_attainable_p: null };
}

/** The paired test on ratios: log(candidate_i / reference_i). Values must be positive. */
export function signedRankOfRatios(reference: readonly number[], candidate: readonly number[]): SignedRankResult {
  if (reference.length !== candidate.length) throw new RangeError(`signed-rank test needs pairs (got ${candidate.length} and ${reference.length} values)`);
  return wilcoxonSignedRank(candidate.map((c, i) => Math.log(c / reference[i]!)));
}
