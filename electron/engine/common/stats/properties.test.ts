// Properties that hold whatever the oracle: the interval's real coverage by simulation, the
// direction of verdicts, reproducibility, bad input, and that the module stays importable in the
// renderer (no Node APIs).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../paths';
import { compare } from './compare';
import { mulberry32 } from './rng';
import { summarize } from './summary';

test('the median interval covers the true median at least as often as it claims (simulated, seeded)', () => {
  // Exponential(1): skewed, true median ln 2. 4000 samples of n = 10: claimed coverage 97.85%.
  const random = mulberry32(12345);
  const truth = Math.LN2;
  let covered = 0;
  const trials = 4000;
  let claimed = 0;
  for (let t = 0; t < trials; t++) {
    const s = summarize(Array.from({ length: 10 }, () => -Math.log(1 - random())));
    claimed = s.ci_coverage!;
    if (s.ci_low! <= truth && truth <= s.ci_high!) covered++;
  }
  const rate = covered / trials;
  // Binomial standard error at 0.9785 with 4000 trials is 0.0023: allow three of them.
  assert.ok(Math.abs(rate - claimed) < 0.007, `covered ${rate} vs claimed ${claimed}`);
});

test('direction: a higher rate is faster, a higher latency is slower; unknown metrics are refused', () => {
  const a = [100, 101, 102, 103, 104, 105];
  const b = a.map((v) => v * 1.3);
  assert.equal(compare(a, b, { metric: 'requests_per_s' }).verdict, 'faster');
  assert.equal(compare(a, b, { metric: 'requests_per_cpu_s' }).verdict, 'faster');
  assert.equal(compare(a, b, { metric: 'latency_p99_us' }).verdict, 'slower');
  assert.equal(compare(b, a, { metric: 'latency_p50_us' }).verdict, 'faster');
  assert.throws(() => compare(a, b, { metric: 'widgets' }), /unknown metric "widgets": pass its direction/);
  assert.equal(compare(a, b, { metric: 'widgets', direction: 'lower' }).verdict, 'slower');
});

test('significant p but an interval that includes 1 stays ~; the reason says which rule held it back', () => {
  const a = [100, 101, 102, 103, 104, 105];
  const same = compare(a, a, { metric: 'requests_per_s' });
  assert.equal(same.verdict, '~');
  assert.match(same.reason, /not significant: p = 1/);
  const three = compare([1, 2, 3], [10, 20, 30], { metric: 'requests_per_s' });
  assert.equal(three.verdict, '~');
  assert.match(three.reason, /3 vs 3 repeats cannot show a difference at α = 0\.05 \(the smallest possible p is 0\.1\)/);
});

test('the same inputs give the same interval; another seed gives another (close) one', () => {
  const a = [100, 97, 104, 99, 101, 103, 98, 102];
  const b = [110, 108, 115, 107, 112, 111, 109, 113];
  const x = compare(a, b, { metric: 'requests_per_s' });
  const y = compare(a, b, { metric: 'requests_per_s' });
  assert.deepEqual(x, y);
  const z = compare(a, b, { metric: 'requests_per_s', seed: 'baseline c100' });
  assert.notDeepEqual([z.ci_low, z.ci_high], [x.ci_low, x.ci_high]);
  assert.ok(Math.abs(z.ci_low - x.ci_low) < 0.02 && Math.abs(z.ci_high - x.ci_high) < 0.02);
});

test('paired comparisons drop a failed repeat as a pair; bad input gets a clear error', () => {
  const ref = [100, null, 102, 103, 104, 105, 106];
  const cand = [110, 111, null, 113, 114, 115, 116];
  const c = compare(ref, cand, { metric: 'requests_per_s', paired: true });
  assert.deepEqual([c.n_reference, c.n_candidate], [5, 5]);
  assert.throws(() => compare([1, 2], [1, 2, 3], { metric: 'requests_per_s', paired: true }), /one candidate repeat per reference repeat/);
  assert.throws(() => compare([1, 0, 2], [1, 2, 3], { metric: 'requests_per_s' }), /every value must be a positive number/);
  assert.throws(() => compare([], [1, 2, 3], { metric: 'requests_per_s' }), /reference sample is empty/);
  assert.throws(() => summarize([1, Number.NaN]), /finite numbers/);
});

test('tiny samples: n = 1 has a median but no interval and no CV', () => {
  const s = summarize([42]);
  assert.deepEqual([s.n, s.median, s.ci_low, s.cv, s.ci_method], [1, 42, null, null, 'none']);
  assert.match(s.ci_note!, /need ≥ 6 samples for a 95% interval of the median \(have 1\)/);
  assert.equal(summarize([]).median, null);
});

test('the stats module bundles for the browser (the renderer will import it)', async () => {
  // esbuild (the renderer's bundler) fails on any node: import or Node built-in under platform
  // 'browser'; the bundle is then run to see that it evaluates and computes without Node.
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(repoRoot(), 'electron/engine/common/stats/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'stats',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  const stats = new Function(`${code}; return stats;`)() as typeof import('./index');
  assert.equal(stats.summarize([1, 2, 3, 4, 5, 6]).ci_coverage, 1 - 2 / 64);
});

test('the stats module uses no Node API (the renderer imports it)', () => {
  const dir = join(repoRoot(), 'electron/engine/common/stats');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
    const src = readFileSync(join(dir, f), 'utf8');
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const i of imports) assert.ok(i.startsWith('./') || i === 'simple-statistics', `${f} imports ${i}`);
    assert.doesNotMatch(src, /\b(process|require|Buffer|__dirname)\b[.(]/, `${f} touches a Node global`);
  }
});
