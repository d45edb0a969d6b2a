// One comparison: a candidate's repeats against a reference's, for one configuration and metric.
// The ratio of medians with its bootstrap interval says by how much; the p-value says whether the
// difference stands out from the noise: Mann-Whitney U for independent repeats, the Wilcoxon
// signed-rank test on log ratios for paired ones (alternated repeats; see signed-rank.ts for why
// the unpaired test would waste the pairing). The verdict is `faster` / `slower`
// only when both agree — p < α and the interval excludes 1 — and `~` otherwise (benchstat's
// convention: `~` means "no difference this data can show", not "equal").
import { median } from 'simple-statistics';
import { bootstrapRatioOfMedians, DEFAULT_RESAMPLES, DEFAULT_SEED } from './bootstrap';
import { mannWhitneyU } from './mann-whitney';
import { metricDirection, type Direction } from './metrics';
import { signedRankOfRatios } from './signed-rank';

export type Verdict = 'faster' | 'slower' | '~';

export interface CompareOptions {
  /** The metric's name; it decides which way is better unless `direction` is given. */
  metric: string;
  direction?: Direction;
  /**
   * Repeats were alternated in one run, so reference[i] and candidate[i] ran side by side: the
   * bootstrap keeps pairs together. Pairs with a missing (null) side are left out.
   */
  paired?: boolean;
  /** Significance level of the verdict (0.05). */
  alpha?: number;
  /** Level of the ratio's confidence interval (0.95). */
  level?: number;
  resamples?: number;
  seed?: number | string;
}

export interface Comparison {
  metric: string;
  direction: Direction;
  n_reference: number;
  n_candidate: number;
  reference_median: number;
  candidate_median: number;
  /** candidate median / reference median. */
  ratio: number;
  ci_low: number;
  ci_high: number;
  ci_level: number;
  ci_method: 'bootstrap-percentile' | 'bootstrap-percentile-paired';
  resamples: number;
  seed: number;
  p_value: number;
  test: 'mann-whitney-exact' | 'mann-whitney-normal' | 'signed-rank-exact' | 'signed-rank-normal';
  /** U of the candidate against the reference, or W+ of the log ratios when paired. */
  statistic: number;
  /** The smallest p these sample sizes allow (exact test); ≥ α means a difference cannot show. */
  min_attainable_p: number | null;
  alpha: number;
  verdict: Verdict;
  /** One sentence on how the verdict was reached. */
  reason: string;
}

/** Drops missing repeats: whole pairs when paired, single values otherwise. */
function present(reference: readonly (number | null)[], candidate: readonly (number | null)[], paired: boolean): [number[], number[]] {
  if (!paired) return [reference.filter((v): v is number => v !== null), candidate.filter((v): v is number => v !== null)];
  if (reference.length !== candidate.length) {
    throw new RangeError(`paired comparison needs one candidate repeat per reference repeat (got ${candidate.length} and ${reference.length}); use null for a repeat that failed`);
  }
  const r: number[] = [];
  const c: number[] = [];
  reference.forEach((v, i) => {
    const w = candidate[i];
    if (v !== null && w !== null && w !== undefined) {
      r.push(v);
      c.push(w);
    }
  });
  return [r, c];
}

interface TestResult {
  test: Comparison['test'];
  statistic: number;
  p_value: number;
  min_attainable_p: number | null;
}

function unpairedTest(ref: number[], cand: number[]): TestResult {
  const r = mannWhitneyU(cand, ref);
  return { test: r.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal', statistic: r.u, p_value: r.p_value, min_attainable_p: r.min_attainable_p };
}

function pairedTest(ref: number[], cand: number[]): TestResult {
  const r = signedRankOfRatios(ref, cand);
  return { test: r.method === 'exact' ? 'signed-rank-exact' : 'signed-rank-normal', statistic: r.w_plus, p_value: r.p_value, min_attainable_p: r.min_attainable_p };
}

export function fmtP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

export function compare(reference: readonly (number | null)[], candidate: readonly (number | null)[], o: CompareOptions): Comparison {
  const direction = o.direction ?? metricDirection(o.metric);
  const alpha = o.alpha ?? 0.05;
  const level = o.level ?? 0.95;
  const paired = o.paired ?? false;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be between 0 and 1 (got ${alpha})`);
  const [ref, cand] = present(reference, candidate, paired);
  const boot = bootstrapRatioOfMedians(ref, cand, { paired, level, resamples: o.resamples ?? DEFAULT_RESAMPLES, seed: o.seed ?? DEFAULT_SEED });
  const mw = paired ? pairedTest(ref, cand) : unpairedTest(ref, cand);
  const significant = mw.p_value < alpha;
  const excludesOne = boot.ci_low > 1 || boot.ci_high < 1;
  const better = direction === 'higher' ? boot.ratio > 1 : boot.ratio < 1;
  const verdict: Verdict = significant && excludesOne ? (better ? 'faster' : 'slower') : '~';
  const ci = `${formatRatio(boot.ci_low)}–${formatRatio(boot.ci_high)}`;
  let reason: string;
  if (verdict !== '~') reason = `p = ${fmtP(mw.p_value)} < ${alpha} and the ${Math.round(level * 100)}% interval ${ci} excludes 1`;
  else if (mw.min_attainable_p !== null && mw.min_attainable_p >= alpha) {
    const sizes = paired ? `${ref.length} pairs` : `${cand.length} vs ${ref.length} repeats`;
    reason = `${sizes} cannot show a difference at α = ${alpha} (the smallest possible p is ${fmtP(mw.min_attainable_p)})`;
  } else if (!significant) reason = `not significant: p = ${fmtP(mw.p_value)} ≥ ${alpha}`;
  else reason = `p = ${fmtP(mw.p_value)} < ${alpha} but the interval ${ci} includes 1`;
  return {
    metric: o.metric,
    direction,
    n_reference: ref.length,
    n_candidate: cand.length,
    reference_median: median(ref),
    candidate_median: median(cand),
    ratio: boot.ratio,
    ci_low: boot.ci_low,
    ci_high: boot.ci_high,
    ci_level: level,
    ci_method: paired ? 'bootstrap-percentile-paired' : 'bootstrap-percentile',
    resamples: boot.resamples,
    seed: boot.seed,
    p_value: mw.p_value,
    test: mw.test,
    statistic: mw.statistic,
    min_attainable_p: mw.min_attainable_p,
    alpha,
    verdict,
    reason,
  };
}

/** ×1.234 style, three decimals (enough to tell 1.000 from 1.004). */
export function formatRatio(r: number): string {
  return `×${r.toFixed(3)}`;
}
