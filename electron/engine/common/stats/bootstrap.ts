// Confidence interval of a ratio of medians (candidate / reference) by the percentile bootstrap
// (Efron & Tibshirani, An Introduction to the Bootstrap, ch. 13), resampling repeats.
//
// Unpaired: each resample draws the reference's repeats and then the candidate's, each with
// replacement and its own size. Paired (backends alternated within one run, so repeat i of each
// ran side by side): one draw of repeat indices serves both, keeping each pair together — a slow
// phase of the machine then moves both sides alike and drops out of the ratio.
// The random source is seeded (rng.ts), so an interval is reproducible from its inputs.
import { median, quantileSorted, sampleWithReplacement } from 'simple-statistics';
import { mulberry32, toSeed } from './rng';

export const DEFAULT_RESAMPLES = 10_000;
export const DEFAULT_SEED = 0x5a10;

export interface RatioInterval {
  ratio: number;
  ci_low: number;
  ci_high: number;
  level: number;
  resamples: number;
  paired: boolean;
  seed: number;
}

export interface BootstrapOptions {
  paired?: boolean;
  level?: number;
  resamples?: number;
  seed?: number | string;
}

function positive(name: string, s: readonly number[]): void {
  if (s.length === 0) throw new RangeError(`ratio of medians: the ${name} sample is empty`);
  for (const v of s) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`ratio of medians: the ${name} sample holds ${v}; every value must be a positive number`);
  }
}

export function bootstrapRatioOfMedians(reference: readonly number[], candidate: readonly number[], o: BootstrapOptions = {}): RatioInterval {
  const level = o.level ?? 0.95;
  const resamples = o.resamples ?? DEFAULT_RESAMPLES;
  const paired = o.paired ?? false;
  const seed = toSeed(o.seed ?? DEFAULT_SEED);
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be between 0 and 1 (got ${level})`);
  if (!Number.isInteger(resamples) || resamples < 100) throw new RangeError(`bootstrap needs at least 100 resamples (got ${resamples})`);
  positive('reference', reference);
  positive('candidate', candidate);
  if (paired && reference.length !== candidate.length) {
    throw new RangeError(`paired bootstrap needs one candidate repeat per reference repeat (got ${candidate.length} and ${reference.length})`);
  }
  const ref = [...reference];
  const cand = [...candidate];
  const random = mulberry32(seed);
  const indices = ref.map((_, i) => i);
  const ratios = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    if (paired) {
      const pick = sampleWithReplacement(indices, indices.length, random);
      ratios[b] = median(pick.map((i) => cand[i]!)) / median(pick.map((i) => ref[i]!));
    } else {
      const r = sampleWithReplacement(ref, ref.length, random);
      const c = sampleWithReplacement(cand, cand.length, random);
      ratios[b] = median(c) / median(r);
    }
  }
  ratios.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return {
    ratio: median(cand) / median(ref),
    ci_low: quantileSorted(ratios, tail),
    ci_high: quantileSorted(ratios, 1 - tail),
    level,
    resamples,
    paired,
    seed,
  };
}
