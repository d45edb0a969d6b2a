// The run's statistics as results.json carries them: series grouped by backend and configuration,
// repeats paired across backends by repeat number, the reference backend, verdicts, the A/A noise
// flag on every comparison, the repeat policy's outcome, and latency histograms merged across
// repeats. The methods themselves are checked against the oracle in stats/; the numbers here are
// small enough to verify by hand (6 pairs all one way: exact signed-rank p = 2/2^6 = 0.03125).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configKey } from './axes';
import type { PointRecord } from '../model';
import type { ExperimentCell } from './notebook/schema';
import { TOO_NOISY } from './stats/noise';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSaioLoadJson } from '../drivers/saio-load/json';
import { repoRoot } from '../paths';
import { findSummary, runStatistics } from './statistics';

const BASE = [10_000, 12_000, 9_000, 11_000, 10_500, 9_500];
let seq = 0;
function point(backend: string, repeat: number, rps: number, p99: number, over: Partial<PointRecord> = {}): PointRecord {
  seq++;
  return {
    id: seq,
    run_id: 'run',
    seq,
    kind: 'measure',
    backend,
    server: 'nginx',
    config: configKey({ workers: 1, connections: 100, rate: null }),
    connections: 100,
    workers: 1,
    rate_per_s: null,
    rate_of_capacity: null,
    repeat,
    status: 'ok',
    reason: null,
    requests_per_s: rps,
    offered_per_s: null,
    latency_p50_us: p99 / 4,
    latency_p90_us: p99 / 2,
    latency_p99_us: p99,
    latency_p999_us: p99 * 2,
    latency_max_us: p99 * 3,
    errors: 0,
    verified: true,
    verification: null,
    load: null,
    warnings: [],
    cpu: null,
    requests_per_cpu_s: rps * 2,
    started_at: '',
    ended_at: null,
    ...over,
  };
}

const cell = (backends: string[], over: Partial<ExperimentCell> = {}) => ({ id: 'e', backends, repeats: 6, ...over }) as unknown as ExperimentCell;

/** The statistics of run(): baseline, its A/A twin saio-sync, and saio-uring, reference baseline. */
const statisticsOf = (points: PointRecord[]) => runStatistics('e', 'run', points, cell(['baseline', 'saio-sync', 'saio-uring']), false);

function run(aaFactor: (i: number) => number): PointRecord[] {
  const out: PointRecord[] = [];
  BASE.forEach((b, i) => {
    // Alternated in each round, as the planner does.
    out.push(point('baseline', i + 1, b, 1000));
    out.push(point('saio-sync', i + 1, b * aaFactor(i), 1000));
    out.push(point('saio-uring', i + 1, b * 1.2, 800));
  });
  return out;
}

test('summaries: n, median, the order-statistics 95% CI at n = 6 ([min, max], 96.9%), CV, every repeat', () => {
  const s = statisticsOf(run(() => 1));
  const b = findSummary(s.summaries, 'baseline', 'w=1 c=100 closed', 'requests_per_s')!;
  assert.equal(b.n, 6);
  assert.equal(b.median, 10_250);
  assert.deepEqual([b.ci_low, b.ci_high], [9_000, 12_000]);
  assert.equal(b.ci_coverage!.toFixed(4), '0.9688');
  assert.deepEqual(b.samples, BASE);
  assert.ok(findSummary(s.summaries, 'saio-uring', 'w=1 c=100 closed', 'requests_per_cpu_s'));
});

test('comparisons against the reference: 20% more requests/s and 20% less p99 in all 6 pairs → faster, p = 0.03125; A/A equal → ~, no noise flag', () => {
  const s = statisticsOf(run(() => 1));
  const rps = s.comparisons.find((c) => c.backend === 'saio-uring' && c.metric === 'requests_per_s')!;
  assert.equal(rps.reference, 'baseline');
  assert.equal(rps.ratio.toFixed(6), '1.200000');
  assert.equal(rps.ci_low.toFixed(6), '1.200000', 'paired bootstrap of a constant ratio');
  assert.equal(rps.p_value, 0.03125);
  assert.equal(rps.test, 'signed-rank-exact');
  assert.equal(rps.verdict, 'faster');
  const p99 = s.comparisons.find((c) => c.backend === 'saio-uring' && c.metric === 'latency_p99_us')!;
  assert.equal(p99.ratio, 0.8);
  assert.equal(p99.p_value, 0.03125);
  assert.equal(p99.verdict, 'faster', 'lower latency is better');
  const aa = s.comparisons.find((c) => c.backend === 'saio-sync' && c.metric === 'requests_per_s')!;
  assert.equal(aa.aa, true);
  assert.equal(aa.verdict, '~');
  assert.equal(s.noise.noisy, false);
  assert.ok(s.comparisons.every((c) => c.noise === null));
});

test('an A/A pair that differs marks every comparison of the run "machine too noisy"', () => {
  const s = statisticsOf(run((i) => 1.1 + i / 1000));
  const aa = s.comparisons.find((c) => c.backend === 'saio-sync' && c.metric === 'requests_per_s')!;
  assert.equal(aa.verdict, 'faster');
  assert.equal(s.noise.flag, TOO_NOISY);
  assert.match(s.noise.message, /saio-sync vs baseline, w=1 c=100 closed/);
  assert.ok(s.comparisons.length > 0 && s.comparisons.every((c) => c.noise === TOO_NOISY));
});

test("the reference is the cell's, repeats pair by number (a failed repeat drops its pair), and the repeat policy says why it stopped", () => {
  const points = run(() => 1).map((p) => (p.backend === 'baseline' && p.repeat === 2 ? { ...p, status: 'failed' as const, requests_per_s: null } : p));
  const s = runStatistics('e', 'run', points, cell(['baseline', 'saio-sync', 'saio-uring'], { reference: 'saio-uring', repeats: { min: 3, max: 6, target_ci: 0.5 } }), false);
  const c = s.comparisons.find((x) => x.backend === 'baseline' && x.metric === 'requests_per_s')!;
  assert.equal(c.reference, 'saio-uring');
  assert.equal(c.n_reference, 5, 'the failed repeat and its partner are left out');
  assert.equal(c.ratio.toFixed(4), (1 / 1.2).toFixed(4));
  assert.equal(c.verdict, '~', 'five pairs: the smallest possible p is 2/32 = 0.0625');
  assert.match(c.reason, /5 pairs cannot show a difference at α = 0.05/);
  const b = findSummary(s.summaries, 'baseline', 'w=1 c=100 closed', 'requests_per_s')!;
  assert.deepEqual(b.samples, [10_000, null, 9_000, 11_000, 10_500, 9_500]);
  assert.equal(b.repeats?.reason, 'max-reached', '5 values: no interval yet at the maximum of 6 rounds');
  const u = findSummary(s.summaries, 'saio-uring', 'w=1 c=100 closed', 'requests_per_s')!;
  assert.equal(u.repeats?.reason, 'target-reached');
});

test("latency summaries carry the percentile of all repeats merged from their histograms (saio-load's, exactly)", () => {
  const doc = parseSaioLoadJson(readFileSync(join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures', 'captured-closed-http.json'), 'utf8'));
  // The same histogram twice: merging doubles every count, so every percentile stays what saio-load reported.
  const pts = [point('baseline', 1, 100, 1, { load: doc }), point('baseline', 2, 100, 2, { load: doc })];
  const s = runStatistics('e', 'run', pts, cell(['baseline']), false);
  assert.equal(findSummary(s.summaries, 'baseline', 'w=1 c=100 closed', 'latency_p99_us')!.merged, doc.latency_us!.p99);
  assert.equal(findSummary(s.summaries, 'baseline', 'w=1 c=100 closed', 'latency_p999_us')!.merged, doc.latency_us!.p999);
  assert.equal(findSummary(s.summaries, 'baseline', 'w=1 c=100 closed', 'requests_per_s')!.merged, null);
  // A repeat without a histogram (wrk): nothing merged rather than a percentile of some repeats.
  const mixed = runStatistics('e', 'run', [pts[0]!, point('baseline', 2, 100, 2)], cell(['baseline']), false);
  assert.equal(findSummary(mixed.summaries, 'baseline', 'w=1 c=100 closed', 'latency_p99_us')!.merged, null);
  assert.equal(s.comparisons.length, 0, 'one backend: nothing to compare');
});
