// Repeats until the answer is clear (the Phoronix Test Suite's idea: keep running while the
// spread is large, up to a cap). A configuration stops once the 95% interval of its median is
// within ±target_ci of the median, or when `max` repeats are in, and says which it was.
// Without target_ci the count is fixed (min = max), the old behaviour.
//
// The runner still alternates backends: it asks `roundDecision` after each round whether any
// series is unclear, and runs another round of all of them if so (clear series keep gaining
// repeats, which does them no harm and keeps the pairing intact).
import { minSamplesForInterval, summarize } from './summary';

export interface RepeatPolicy {
  /** Repeats every configuration gets, whatever its spread (≥ 1). */
  min: number;
  /** Repeats no configuration goes beyond (≥ min). */
  max: number;
  /** Relative half-width of the median's 95% CI to reach (e.g. 0.03 for ±3%); null: fixed count. */
  target_ci: number | null;
}

export type RepeatReason = 'below-min' | 'target-reached' | 'max-reached' | 'no-ci-yet' | 'ci-too-wide' | 'fixed-count';

export interface RepeatDecision {
  action: 'continue' | 'stop';
  reason: RepeatReason;
  n: number;
  /** The current relative half-width, when an interval exists. */
  half_width: number | null;
  message: string;
}

/** Problems with a policy, as sentences (empty when it is valid). */
export function repeatPolicyErrors(p: RepeatPolicy): string[] {
  const errors: string[] = [];
  if (!Number.isInteger(p.min) || p.min < 1) errors.push(`repeats.min must be a whole number ≥ 1 (got ${p.min})`);
  if (!Number.isInteger(p.max) || p.max < p.min) errors.push(`repeats.max must be a whole number ≥ repeats.min (got ${p.max})`);
  if (p.target_ci !== null && !(p.target_ci > 0 && p.target_ci < 1)) {
    errors.push(`repeats.target_ci is a relative half-width between 0 and 1, e.g. 0.03 for ±3% (got ${p.target_ci})`);
  }
  const need = minSamplesForInterval();
  if (p.target_ci !== null && Number.isInteger(p.max) && p.max < need) {
    errors.push(`repeats.max = ${p.max} can never reach target_ci: the median's 95% interval needs ≥ ${need} repeats`);
  }
  return errors;
}

function pct(x: number): string {
  return `±${(x * 100).toFixed(1)}%`;
}

export function repeatDecision(policy: RepeatPolicy, samples: readonly number[]): RepeatDecision {
  const errors = repeatPolicyErrors(policy);
  if (errors.length > 0) throw new RangeError(errors.join('; '));
  const n = samples.length;
  const s = n > 0 ? summarize(samples) : null;
  const half = s?.ci_half_width_rel ?? null;
  const stop = (reason: RepeatReason, message: string): RepeatDecision => ({ action: 'stop', reason, n, half_width: half, message });
  const go = (reason: RepeatReason, message: string): RepeatDecision => ({ action: 'continue', reason, n, half_width: half, message });

  if (n < policy.min) return go('below-min', `${n} of at least ${policy.min} repeats`);
  if (policy.target_ci === null) return n >= policy.max ? stop('fixed-count', `${n} repeats (fixed count)`) : go('below-min', `${n} of ${policy.max} repeats`);
  if (half !== null && half <= policy.target_ci) {
    return stop('target-reached', `95% CI of the median ${pct(half)} ≤ ${pct(policy.target_ci)} after ${n} repeats`);
  }
  if (n >= policy.max) {
    const where = half === null ? `no 95% interval yet (${s?.ci_note ?? 'no samples'})` : `95% CI of the median still ${pct(half)}`;
    return stop('max-reached', `stopped at the maximum of ${policy.max} repeats: ${where}, target ${pct(policy.target_ci)}`);
  }
  if (half === null) return go('no-ci-yet', `${n} repeats: ${s?.ci_note ?? 'no samples'}`);
  return go('ci-too-wide', `95% CI of the median ${pct(half)} > ${pct(policy.target_ci)} after ${n} repeats`);
}

export interface SeriesDecision extends RepeatDecision {
  label: string;
}

/**
 * One decision per series (configuration × backend), and whether the runner needs another
 * round: yes while any series says continue.
 */
export function roundDecision(policy: RepeatPolicy, series: readonly { label: string; samples: readonly number[] }[]): { action: 'continue' | 'stop'; pending: string[]; decisions: SeriesDecision[] } {
  const decisions = series.map((s) => ({ label: s.label, ...repeatDecision(policy, s.samples) }));
  const pending = decisions.filter((d) => d.action === 'continue').map((d) => d.label);
  return { action: pending.length > 0 ? 'continue' : 'stop', pending, decisions };
}
