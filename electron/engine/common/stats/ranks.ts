// Shared by the rank tests: mid-ranks (tied values share the mean of their ranks) doubled so
// they are integers, and exact two-sided p-values from a table of counts per statistic value.

export interface DoubledRanks {
  /** 2 × mid-rank of each value, in the order the values were given. */
  doubled: number[];
  /** Sizes of the groups of equal values (1 for a value without ties). */
  tieSizes: number[];
}

export function doubledMidRanks(values: readonly number[]): DoubledRanks {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const doubled = new Array<number>(values.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    // sorted positions i..j hold ranks i+1..j+1, whose mean doubled is i + j + 2.
    for (let k = i; k <= j; k++) doubled[order[k]!] = i + j + 2;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { doubled, tieSizes };
}

/** min(1, 2·min(P(S ≤ s), P(S ≥ s))) where counts[v] is how often the statistic equals v. */
export function twoSidedFromCounts(counts: Float64Array, s: number, total: number): number {
  let below = 0;
  let above = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (i <= s) below += c;
    if (i >= s) above += c;
  }
  return Math.min(1, (2 * Math.min(below, above)) / total);
}

/** The p-value at the observed statistic, and the smallest one the table allows at all. */
export function exactTwoSided(counts: Float64Array, observed: number): { p: number; minP: number } {
  const total = counts.reduce((a, b) => a + b, 0);
  let lo = 0;
  while (counts[lo] === 0) lo++;
  let hi = counts.length - 1;
  while (counts[hi] === 0) hi--;
  return {
    p: twoSidedFromCounts(counts, observed, total),
    // The most extreme values are the support's ends; the smaller of their p-values is the floor.
    minP: Math.min(twoSidedFromCounts(counts, lo, total), twoSidedFromCounts(counts, hi, total)),
  };
}
