import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repeatDecision, repeatPolicyErrors, roundDecision } from './repeats';

// Samples whose interval half-width is known by hand: sorted 1..n scaled around 100. For n = 6
// the 95% interval is [x(1), x(6)] (ranks from the oracle-checked table in oracle.test.ts).
const tight = [99, 100, 101, 100, 99.5, 100.5]; // median 100, [99, 101]: ±1%
const wide = [80, 100, 120, 100, 90, 110]; // median 100, [80, 120]: ±20%

test('a fixed count (no target_ci) runs exactly min = max repeats', () => {
  const p = { min: 3, max: 3, target_ci: null };
  assert.equal(repeatDecision(p, [1, 2]).action, 'continue');
  const d = repeatDecision(p, [1, 2, 3]);
  assert.deepEqual([d.action, d.reason], ['stop', 'fixed-count']);
});

test('target_ci: no interval below 6 repeats, then continue while wider than the target, stop once within', () => {
  const p = { min: 3, max: 20, target_ci: 0.03 };
  assert.equal(repeatDecision(p, [100, 101]).reason, 'below-min');
  const early = repeatDecision(p, [100, 101, 99, 100]);
  assert.deepEqual([early.action, early.reason], ['continue', 'no-ci-yet']);
  assert.match(early.message, /need ≥ 6 samples/);
  const w = repeatDecision(p, wide);
  assert.deepEqual([w.action, w.reason, w.half_width], ['continue', 'ci-too-wide', 0.2]);
  const t = repeatDecision(p, tight);
  assert.deepEqual([t.action, t.reason, t.half_width], ['stop', 'target-reached', 0.01]);
  assert.match(t.message, /±1\.0% ≤ ±3\.0% after 6 repeats/);
});

test('max reached says how far from the target it stopped', () => {
  const d = repeatDecision({ min: 3, max: 6, target_ci: 0.03 }, wide);
  assert.deepEqual([d.action, d.reason], ['stop', 'max-reached']);
  assert.match(d.message, /maximum of 6 repeats: 95% CI of the median still ±20\.0%, target ±3\.0%/);
});

test('a round continues while any series is unclear', () => {
  const p = { min: 3, max: 10, target_ci: 0.05 };
  const r = roundDecision(p, [
    { label: 'baseline c100', samples: tight },
    { label: 'saio c100', samples: wide },
  ]);
  assert.deepEqual([r.action, r.pending], ['continue', ['saio c100']]);
  assert.equal(roundDecision(p, [{ label: 'baseline c100', samples: tight }]).action, 'stop');
});

test('bad policies are refused with sentences', () => {
  assert.deepEqual(repeatPolicyErrors({ min: 3, max: 10, target_ci: 0.03 }), []);
  assert.match(repeatPolicyErrors({ min: 0, max: 10, target_ci: null })[0]!, /min must be a whole number ≥ 1/);
  assert.match(repeatPolicyErrors({ min: 5, max: 4, target_ci: null })[0]!, /max must be a whole number ≥ repeats.min/);
  assert.match(repeatPolicyErrors({ min: 3, max: 10, target_ci: 3 })[0]!, /e\.g\. 0\.03 for ±3%/);
  assert.match(repeatPolicyErrors({ min: 3, max: 5, target_ci: 0.03 })[0]!, /can never reach target_ci: .* needs ≥ 6 repeats/);
  assert.throws(() => repeatDecision({ min: 0, max: 1, target_ci: null }, []), /min must be/);
});
