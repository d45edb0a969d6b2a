// saio-load's histograms in TypeScript: the percentiles recomputed from every captured document's
// histogram are exactly the ones saio-load reported, bucket bounds hold every value they claim,
// and a merge is exactly the histogram of all the samples.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSaioLoadJson } from '../drivers/saio-load/json';
import { repoRoot } from '../paths';
import { bucketHighest, bucketOf, HistogramError, mergeHistograms, percentiles, readHistogram, type Hist } from './histogram';

const FIXTURES = join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures');
const captured = readdirSync(FIXTURES).filter((f) => f.startsWith('captured-') && f.endsWith('.json'));

test('percentiles from each captured histogram equal what saio-load reported, to the nanosecond', () => {
  assert.ok(captured.length >= 4);
  for (const f of captured) {
    const r = parseSaioLoadJson(readFileSync(join(FIXTURES, f), 'utf8'));
    const h = readHistogram(r.histogram);
    assert.deepEqual(percentiles(h.latency, h.sub_bucket_bits), r.latency_us, `${f} latency`);
    assert.deepEqual(percentiles(h.service, h.sub_bucket_bits), r.service_us, `${f} service`);
    assert.deepEqual(percentiles(h.schedule_lag, h.sub_bucket_bits), r.schedule_lag_us, `${f} schedule lag`);
    assert.equal(h.latency.count, r.requests, f);
  }
});

test('bucket bounds: a value lands in the bucket whose range holds it; width at most 1/1024 of the value', () => {
  const b = 11;
  for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 123_456, 1_000_000, 2 ** 30 - 1, 2 ** 30, 99_999_999_999]) {
    const i = bucketOf(v, b);
    const hi = bucketHighest(i, b);
    const lo = i === 0 ? 0 : bucketHighest(i - 1, b) + 1;
    assert.ok(lo <= v && v <= hi, `${v} in [${lo}, ${hi}] (bucket ${i})`);
    assert.ok(hi - lo <= Math.max(0, lo / 1024), `${v}: width ${hi - lo + 1}`);
  }
  // The examples of native/README.md: i = 2048 covers [2048, 2049]; the value 4096 is bucket 3072.
  assert.deepEqual([bucketHighest(2048, b), bucketOf(4096, b), bucketHighest(3072, b)], [2049, 3072, 4099]);
});

test('merging is exact: counts add, min/max and overflow combine, percentiles are those of all the samples', () => {
  const make = (values: number[]): Hist => {
    const counts = new Map<number, number>();
    for (const v of values) counts.set(bucketOf(v, 11), (counts.get(bucketOf(v, 11)) ?? 0) + 1);
    return { count: values.length, min: Math.min(...values), max: Math.max(...values), overflow: 0, counts: [...counts.entries()].sort((a, b) => a[0] - b[0]) };
  };
  const empty: Hist = { count: 0, min: null, max: null, overflow: 0, counts: [] };
  const a = Array.from({ length: 3000 }, (_, i) => 20_000 + ((i * 7919) % 50_000));
  const b = Array.from({ length: 1000 }, (_, i) => 900_000 + i * 13);
  const wrap = (h: Hist) => ({ format: 'saio-loghist/1' as const, unit: 'ns' as const, sub_bucket_bits: 11, highest_trackable: 1e11, latency: h, service: h, schedule_lag: empty });
  const merged = mergeHistograms([wrap(make(a)), wrap(make(b))]);
  assert.deepEqual(merged.latency, make([...a, ...b]));
  assert.deepEqual(percentiles(merged.latency, 11), percentiles(make([...b, ...a]), 11));
  assert.equal(percentiles(merged.schedule_lag, 11), null);
  // Two real captures merge, and the merge's count is the sum.
  const [x, y] = captured.slice(0, 2).map((f) => readHistogram(parseSaioLoadJson(readFileSync(join(FIXTURES, f), 'utf8')).histogram));
  const xy = mergeHistograms([x!, y!]);
  assert.equal(xy.latency.count, x!.latency.count + y!.latency.count);
  assert.throws(() => mergeHistograms([x!, { ...y!, sub_bucket_bits: 7 }]), HistogramError);
});

test('what is not a saio-loghist/1 histogram is refused, saying what', () => {
  assert.throws(() => readHistogram(null), /not a histogram/);
  assert.throws(() => readHistogram({ format: 'hdr/2' }), /format "hdr\/2"/);
  const doc = JSON.parse(readFileSync(join(FIXTURES, captured[0]!), 'utf8')).histogram;
  doc.latency.count += 1;
  assert.throws(() => readHistogram(doc), /add up to/);
});
