import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare } from './compare';
import { noiseGuard, TOO_NOISY, withNoiseFlag } from './noise';

const baseline = [45100, 44800, 45500, 45000, 44900, 45300, 45200, 44700];
const likeBaseline = [45000, 45400, 44850, 45150, 44950, 45250, 44750, 45050];
const drifted = baseline.map((v) => v * 1.08);

test('an A/A pair that is ~ leaves the verdicts unflagged', () => {
  const aa = compare(baseline, likeBaseline, { metric: 'requests_per_s' });
  assert.equal(aa.verdict, '~');
  const g = noiseGuard([{ label: 'saio-sync vs baseline, c100', comparison: aa }]);
  assert.deepEqual([g.noisy, g.flag, g.checked], [false, null, 1]);
  assert.deepEqual(withNoiseFlag([{ verdict: 'faster' }], g), [{ verdict: 'faster', noise: null }]);
});

test('an A/A pair that differs marks every verdict "machine too noisy", with the offending numbers', () => {
  const aa = compare(baseline, drifted, { metric: 'requests_per_s' });
  assert.equal(aa.verdict, 'faster');
  const g = noiseGuard([
    { label: 'saio-sync vs baseline, c10', comparison: compare(baseline, likeBaseline, { metric: 'requests_per_s' }) },
    { label: 'saio-sync vs baseline, c100', comparison: aa },
  ]);
  assert.equal(g.noisy, true);
  assert.equal(g.flag, TOO_NOISY);
  assert.equal(g.offending.length, 1);
  assert.match(g.message, /^machine too noisy: .*saio-sync vs baseline, c100 \(requests_per_s\): faster ×1\.080 \[×1\.0\d\d, ×1\.0\d\d\], p = /);
  const marked = withNoiseFlag([{ verdict: 'faster' }, { verdict: '~' }], g);
  assert.ok(marked.every((c) => c.noise === 'machine too noisy'));
});

test('no A/A pair: nothing is flagged, and the guard says the noise was not checked', () => {
  const g = noiseGuard([]);
  assert.deepEqual([g.noisy, g.checked], [false, 0]);
  assert.match(g.message, /not checked/);
});
