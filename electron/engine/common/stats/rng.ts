// A seeded random source for the bootstrap, so that the same samples always give the same
// interval (a report regenerated from stored results must not change its numbers).
// simple-statistics takes any `() => number` in [0, 1) as its random source; it ships none that
// can be seeded, hence these few lines.
//
// mulberry32 (Tommy Ettinger's 32-bit generator): a 2^32 period, plenty for 10^4 resamples of a
// few dozen values, and trivial to reproduce exactly in another language (the test oracle,
// oracle/oracle.py, re-implements it to replay the same resamples).

export type RandomSource = () => number;

export function mulberry32(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a text (FNV-1a over its UTF-16 code units), e.g. a configuration key. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A seed given as a number is used as is (mod 2^32); text is hashed. */
export function toSeed(seed: number | string): number {
  return typeof seed === 'number' ? seed >>> 0 : seedFrom(seed);
}
