// The statistics against values computed independently: oracle/oracle.py (Python's standard
// library — fractions, itertools, statistics — plus scipy as a cross-check when present) wrote
// oracle/expected.json from the same known samples. How each expected value was obtained is in
// the docstring at the top of oracle.py; each test below names the route it checks against.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../paths';
import { bootstrapRatioOfMedians } from './bootstrap';
import { compare } from './compare';
import { mannWhitneyU } from './mann-whitney';
import { signedRankOfRatios, wilcoxonSignedRank } from './signed-rank';
import { medianIntervalRanks, summarize } from './summary';

interface OracleSummary {
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
  cv: number | null;
  ci_low: number | null;
  ci_high: number | null;
  ci_ranks: [number, number] | null;
  ci_coverage: number | null;
  ci_method: string;
  ci_half_width_rel: number | null;
}
interface OracleComparison {
  paired: boolean;
  ratio: number;
  ci_low: number;
  ci_high: number;
  verdict: string;
  test: { test: string; statistic: number; p_value: number; min_attainable_p: number | null; normal_p: number; normal_z: number };
  scipy: { bootstrap_ci: [number, number] } | null;
}
interface OracleDataset {
  metric: string;
  reference: number[];
  candidate: number[];
  paired?: boolean;
  summary_reference: OracleSummary;
  summary_candidate: OracleSummary;
  comparisons: OracleComparison[];
}
interface Oracle {
  scipy: string | null;
  order_statistic_intervals: Record<string, { lower_rank: number; upper_rank: number; coverage: number } | null>;
  datasets: Record<string, OracleDataset>;
}

const oracle = JSON.parse(readFileSync(join(repoRoot(), 'electron/engine/common/stats/oracle/expected.json'), 'utf8')) as Oracle;
const datasets = Object.entries(oracle.datasets);

function close(actual: number | null, expected: number | null, rel: number, what: string): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, what);
    return;
  }
  const scale = Math.max(Math.abs(expected), 1e-300);
  assert.ok(Math.abs(actual - expected) / scale <= rel, `${what}: ${actual} vs expected ${expected} (relative tolerance ${rel})`);
}

test('the oracle covers the cases the issue names', () => {
  for (const name of ['equal', 'shifted_20', 'heavy_tailed', 'ties', 'n3', 'paired_drift']) assert.ok(oracle.datasets[name], name);
  assert.deepEqual(oracle.datasets.n3!.reference.length, 3);
  assert.deepEqual(oracle.datasets.shifted_20!.reference.length, 10);
});

test('order-statistic ranks and exact coverage for n = 1..100 (oracle: Fractions and math.comb)', () => {
  for (let n = 1; n <= 100; n++) {
    const want = oracle.order_statistic_intervals[String(n)];
    const got = medianIntervalRanks(n);
    if (want === null || want === undefined) {
      assert.equal(got, null, `n = ${n}: no 95% interval`);
      continue;
    }
    assert.ok(got, `n = ${n}`);
    assert.equal(got.lower_rank, want.lower_rank, `n = ${n} lower rank`);
    assert.equal(got.upper_rank, want.upper_rank, `n = ${n} upper rank`);
    close(got.coverage, want.coverage, 1e-9, `n = ${n} coverage`);
  }
  // The well-known small cases, by hand: n = 6 → [x(1), x(6)], 1 - 2/64.
  assert.deepEqual(medianIntervalRanks(5), null);
  assert.equal(medianIntervalRanks(6)?.coverage, 1 - 2 / 64);
});

for (const [name, d] of datasets) {
  test(`summary of "${name}" (oracle: statistics.median/stdev/fmean, exact binomial ranks)`, () => {
    for (const [side, samples, want] of [
      ['reference', d.reference, d.summary_reference],
      ['candidate', d.candidate, d.summary_candidate],
    ] as const) {
      const s = summarize(samples);
      assert.equal(s.n, want.n, `${side} n`);
      close(s.median, want.median, 1e-12, `${side} median`);
      assert.equal(s.min, want.min, `${side} min`);
      assert.equal(s.max, want.max, `${side} max`);
      close(s.mean, want.mean, 1e-12, `${side} mean`);
      close(s.cv, want.cv, 1e-9, `${side} cv`);
      assert.equal(s.ci_method, want.ci_method, `${side} ci method`);
      assert.deepEqual(s.ci_ranks, want.ci_ranks, `${side} ci ranks`);
      assert.equal(s.ci_low, want.ci_low, `${side} ci low`);
      assert.equal(s.ci_high, want.ci_high, `${side} ci high`);
      close(s.ci_coverage, want.ci_coverage, 1e-9, `${side} coverage`);
      close(s.ci_half_width_rel, want.ci_half_width_rel, 1e-12, `${side} half-width`);
    }
  });

  for (const c of d.comparisons) {
    const label = `${name}${c.paired ? ' (paired)' : ''}`;

    test(`p-value of "${label}": ${c.test.test} (oracle: enumeration of every assignment with itertools)`, () => {
      if (c.paired) {
        const r = signedRankOfRatios(d.reference, d.candidate);
        assert.equal(`signed-rank-${r.method}`, c.test.test);
        close(r.w_plus, c.test.statistic, 1e-12, 'W+');
        close(r.p_value, c.test.p_value, 1e-9, 'exact p');
        close(r.min_attainable_p, c.test.min_attainable_p, 1e-9, 'smallest attainable p');
      } else {
        const r = mannWhitneyU(d.candidate, d.reference);
        assert.equal(`mann-whitney-${r.method}`, c.test.test);
        close(r.u, c.test.statistic, 1e-12, 'U (oracle counts pairs, not ranks)');
        close(r.p_value, c.test.p_value, c.test.test.endsWith('normal') ? 1e-6 : 1e-9, 'p');
        close(r.min_attainable_p, c.test.min_attainable_p, 1e-9, 'smallest attainable p');
      }
    });

    test(`normal approximation on "${label}", forced (oracle: tie-corrected formula with statistics.NormalDist)`, () => {
      // simple-statistics' erf is accurate to ~1.2e-7 relative, hence the tolerance.
      const logRatios = d.candidate.map((v, i) => Math.log(v / d.reference[i]!));
      const r = c.paired ? wilcoxonSignedRank(logRatios, 0) : mannWhitneyU(d.candidate, d.reference, 0);
      assert.equal(r.method, 'normal');
      close(r.p_value, c.test.normal_p, 1e-6, 'normal p');
      close(r.z, c.test.normal_z, 1e-9, 'z');
    });

    test(`ratio CI of "${label}" replays the oracle's bootstrap (oracle: Python port of the same seeded resampling)`, () => {
      const b = bootstrapRatioOfMedians(d.reference, d.candidate, { paired: c.paired });
      close(b.ratio, c.ratio, 1e-12, 'ratio');
      close(b.ci_low, c.ci_low, 1e-12, 'ci low');
      close(b.ci_high, c.ci_high, 1e-12, 'ci high');
    });

    if (c.scipy) {
      test(`ratio CI of "${label}" agrees with scipy.stats.bootstrap's own random stream (Monte Carlo tolerance)`, () => {
        // Different resamples (scipy: 20,000 from numpy's generator), so only close: with 10
        // repeats the bootstrap distribution of a ratio of medians is discrete, and an end of
        // the interval can land on the neighbouring support value (0.9% apart on ties_paired,
        // the widest gap here). 2% allows one such step and catches any real disagreement.
        const b = bootstrapRatioOfMedians(d.reference, d.candidate, { paired: c.paired });
        close(b.ci_low, c.scipy!.bootstrap_ci[0], 0.02, 'ci low vs scipy');
        close(b.ci_high, c.scipy!.bootstrap_ci[1], 0.02, 'ci high vs scipy');
      });
    }

    test(`verdict of "${label}" is ${c.verdict}`, () => {
      const got = compare(d.reference, d.candidate, { metric: d.metric, paired: c.paired });
      assert.equal(got.verdict, c.verdict, got.reason);
      close(got.p_value, c.test.p_value, 1e-6, 'p');
      close(got.ratio, c.ratio, 1e-12, 'ratio');
      close(got.ci_low, c.ci_low, 1e-12, 'ci low');
      close(got.ci_high, c.ci_high, 1e-12, 'ci high');
      assert.equal(got.test, c.test.test);
    });
  }
}
