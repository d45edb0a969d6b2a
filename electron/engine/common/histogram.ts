// saio-load's latency histograms (format saio-loghist/1, native/README.md "Histogram format"),
// read, merged and summarised exactly as saio-load does, so percentiles of merged repeats (or of
// runs on several hosts) are the ones a single run of them all would have reported. Pure.
//
// Bucket i covers one value when i < 2^b (b = sub_bucket_bits), otherwise, with
// k = i − 2^b, shift = floor(k / 2^(b−1)) + 1, m = 2^(b−1) + k mod 2^(b−1):
// [m · 2^shift, (m + 1) · 2^shift − 1] (nanoseconds; plain doubles are exact below 2^53).
import type { JsonValue, Percentiles } from '../model';

export const HISTOGRAM_FORMAT = 'saio-loghist/1';

export interface Hist {
  count: number;
  /** Exact least and greatest sample (ns); null when empty. */
  min: number | null;
  max: number | null;
  overflow: number;
  /** Non-empty buckets as [index, count], ascending by index. */
  counts: [number, number][];
}

export interface LogHistogram {
  format: typeof HISTOGRAM_FORMAT;
  unit: 'ns';
  sub_bucket_bits: number;
  highest_trackable: number;
  latency: Hist;
  service: Hist;
  schedule_lag: Hist;
}

export class HistogramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistogramError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function readHist(v: unknown, what: string): Hist {
  if (!isObj(v)) throw new HistogramError(`${what}: expected an object`);
  const { count, min, max, overflow, counts } = v;
  if (!isCount(count) || !isCount(overflow)) throw new HistogramError(`${what}: count and overflow must be whole numbers ≥ 0`);
  if (!(min === null || min === undefined || isCount(min)) || !(max === null || max === undefined || isCount(max))) throw new HistogramError(`${what}: min and max must be whole nanoseconds or null`);
  if (!Array.isArray(counts)) throw new HistogramError(`${what}: counts must be a list of [index, count]`);
  let sum = 0;
  let last = -1;
  const out: [number, number][] = counts.map((pair, j) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0]) || !isCount(pair[1]) || pair[1] === 0) throw new HistogramError(`${what}: counts[${j}] is not [index, count > 0]`);
    if (pair[0] <= last) throw new HistogramError(`${what}: counts are not ascending by index at ${j}`);
    last = pair[0];
    sum += pair[1];
    return [pair[0], pair[1]];
  });
  if (sum !== count) throw new HistogramError(`${what}: the bucket counts add up to ${sum}, not count ${count}`);
  return { count, min: (min as number | null | undefined) ?? null, max: (max as number | null | undefined) ?? null, overflow, counts: out };
}

/** A LoadResult's histogram as saio-load wrote it; throws HistogramError when it is not one. */
export function readHistogram(json: JsonValue | null | undefined): LogHistogram {
  if (!isObj(json)) throw new HistogramError('not a histogram object');
  if (json.format !== HISTOGRAM_FORMAT) throw new HistogramError(`format ${JSON.stringify(json.format)}, expected "${HISTOGRAM_FORMAT}"`);
  const bits = json.sub_bucket_bits;
  if (json.unit !== 'ns' || !isCount(bits) || bits < 2 || bits > 30 || !isCount(json.highest_trackable))
    throw new HistogramError('unit, sub_bucket_bits or highest_trackable is not what saio-loghist/1 says');
  return {
    format: HISTOGRAM_FORMAT,
    unit: 'ns',
    sub_bucket_bits: bits,
    highest_trackable: json.highest_trackable,
    latency: readHist(json.latency, 'latency'),
    service: readHist(json.service, 'service'),
    schedule_lag: readHist(json.schedule_lag, 'schedule_lag'),
  };
}

/** The highest value (ns) bucket `i` holds. */
export function bucketHighest(i: number, subBucketBits: number): number {
  const linear = 2 ** subBucketBits;
  if (i < linear) return i;
  const half = linear / 2;
  const k = i - linear;
  const shift = Math.floor(k / half) + 1;
  const m = half + (k % half);
  return (m + 1) * 2 ** shift - 1;
}

/** The bucket a value (ns) is recorded in: below 2^b itself, else by its highest set bit. */
export function bucketOf(v: number, subBucketBits: number): number {
  const linear = 2 ** subBucketBits;
  if (v < linear) return v;
  let msb = Math.floor(Math.log2(v));
  // log2 of a double can land one off next to a power of two.
  if (2 ** msb > v) msb -= 1;
  else if (2 ** (msb + 1) <= v) msb += 1;
  const shift = msb - (subBucketBits - 1);
  return linear + (shift - 1) * (linear / 2) + Math.floor(v / 2 ** shift) - linear / 2;
}

/**
 * A percentile in hundredths of a percent (5000 = p50, 9999 = p99.99), in µs, exactly as
 * saio-load computes it: rank max(1, ceil(n·pp / 10000)), the first bucket whose cumulative
 * count reaches it, that bucket's highest value but not above max. null for an empty histogram.
 */
export function percentileUs(h: Hist, pp: number, subBucketBits: number): number | null {
  if (h.count === 0) return null;
  const q = Math.floor(h.count / 10000);
  const rem = h.count % 10000;
  const rank = Math.max(1, q * pp + Math.ceil((rem * pp) / 10000));
  let seen = 0;
  for (const [i, c] of h.counts) {
    seen += c;
    if (seen >= rank) return Math.min(bucketHighest(i, subBucketBits), h.max ?? Infinity) / 1000;
  }
  return (h.max ?? 0) / 1000;
}

/** p50 … p99.99 and max in µs, the set a LoadResult reports; null when empty. */
export function percentiles(h: Hist, subBucketBits: number): Percentiles | null {
  if (h.count === 0 || h.max === null) return null;
  const p = (pp: number) => percentileUs(h, pp, subBucketBits)!;
  return { p50: p(5000), p90: p(9000), p99: p(9900), p999: p(9990), p9999: p(9999), max: h.max / 1000 };
}

function mergeHist(a: Hist, b: Hist): Hist {
  const byIndex = new Map<number, number>(a.counts);
  for (const [i, c] of b.counts) byIndex.set(i, (byIndex.get(i) ?? 0) + c);
  const pick = (x: number | null, y: number | null, f: (p: number, q: number) => number) => (x === null ? y : y === null ? x : f(x, y));
  return {
    count: a.count + b.count,
    min: pick(a.min, b.min, Math.min),
    max: pick(a.max, b.max, Math.max),
    overflow: a.overflow + b.overflow,
    counts: [...byIndex.entries()].sort((x, y) => x[0] - y[0]),
  };
}

/** The histogram of all the samples of several (repeats, hosts): exact, as `saio-load --merge`. */
export function mergeHistograms(hs: readonly LogHistogram[]): LogHistogram {
  const [first, ...rest] = hs;
  if (!first) throw new HistogramError('nothing to merge');
  return rest.reduce((acc, h) => {
    if (h.sub_bucket_bits !== acc.sub_bucket_bits || h.highest_trackable !== acc.highest_trackable) {
      throw new HistogramError(`cannot merge histograms of ${acc.sub_bucket_bits} and ${h.sub_bucket_bits} sub-bucket bits (or different ranges)`);
    }
    return { ...acc, latency: mergeHist(acc.latency, h.latency), service: mergeHist(acc.service, h.service), schedule_lag: mergeHist(acc.schedule_lag, h.schedule_lag) };
  }, first);
}
