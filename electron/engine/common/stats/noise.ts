// The noise guard. An A/A pair compares two backends that should perform alike (`saio-sync`, the
// library loaded and doing nothing, against `baseline`; or two `baseline`s). If the statistics
// call such a pair faster or slower, the machine's noise is producing verdicts on its own, and
// every other verdict of the run is suspect: they are all marked, not hidden.
import { fmtP, formatRatio, type Comparison } from './compare';

export const TOO_NOISY = 'machine too noisy';

export interface AaCheck {
  /** Where the pair was compared, e.g. "saio-sync vs baseline, c100". */
  label: string;
  comparison: Comparison;
}

export interface NoiseGuard {
  noisy: boolean;
  /** TOO_NOISY when noisy, else null: the flag every output carries. */
  flag: typeof TOO_NOISY | null;
  /** The A/A comparisons that were not `~`, as sentences with their numbers. */
  offending: string[];
  /** How many A/A comparisons were checked (0: the cell has no A/A pair, nothing is known). */
  checked: number;
  message: string;
}

export function noiseGuard(aa: readonly AaCheck[]): NoiseGuard {
  const offending = aa
    .filter((a) => a.comparison.verdict !== '~')
    .map(({ label, comparison: c }) => `${label} (${c.metric}): ${c.verdict} ${formatRatio(c.ratio)} [${formatRatio(c.ci_low)}, ${formatRatio(c.ci_high)}], p = ${fmtP(c.p_value)}`);
  const noisy = offending.length > 0;
  let message: string;
  if (aa.length === 0) message = "no A/A pair in this cell: the machine's noise was not checked";
  else if (noisy) message = `${TOO_NOISY}: an A/A pair that should not differ did — ${offending.join('; ')}`;
  else message = `A/A check passed: ${aa.length} comparison${aa.length === 1 ? '' : 's'} of like against like, all ~`;
  return { noisy, flag: noisy ? TOO_NOISY : null, offending, checked: aa.length, message };
}

/** The comparisons with the guard's flag attached (null when the machine passed or was not checked). */
export function withNoiseFlag<T extends object>(comparisons: readonly T[], guard: NoiseGuard): (T & { noise: typeof TOO_NOISY | null })[] {
  return comparisons.map((c) => ({ ...c, noise: guard.flag }));
}
