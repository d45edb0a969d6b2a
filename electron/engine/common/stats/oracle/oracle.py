#!/usr/bin/env python3
"""Independent oracle for electron/engine/stats: known samples and the values expected of them.

Run once (`python3 electron/engine/stats/oracle/oracle.py`, about two minutes; it writes
expected.json beside itself); the TypeScript tests read expected.json and never need Python. Each expected value is computed
here by a different route than the TypeScript code takes:

- medians, min, max, mean, CV: Python's `statistics` module (statistics.median, statistics.stdev);
- order-statistic interval of the median: exact binomial tails with `fractions.Fraction` and
  `math.comb` (TypeScript: simple-statistics' floating binomialDistribution);
- Mann-Whitney exact p-values: every way of splitting the pooled values into groups of the two
  sizes is enumerated with `itertools.combinations`, and U is counted pair by pair (x > y counts
  1, x == y counts 1/2) — no ranks at all (TypeScript: mid-ranks and a dynamic programme);
- Mann-Whitney normal approximation: the tie-corrected formula with `statistics.NormalDist`
  (TypeScript: simple-statistics' erf);
- Wilcoxon signed-rank (paired) exact p-values: all 2^n sign patterns enumerated with
  `itertools.product`, mid-ranks by counting (TypeScript: a dynamic programme over doubled ranks);
- bootstrap intervals of the ratio of medians: the same resampling replayed with a Python port of
  mulberry32 (so the TypeScript bootstrap must match to rounding), and, when scipy is importable,
  scipy.stats.bootstrap's percentile interval with its own random stream as a loose cross-check;
- when scipy is importable, its mannwhitneyu / permutation_test / binom agree with the above (the
  script asserts it) and its version is recorded.
"""
import itertools
import json
import math
import os
import random
import statistics
import sys
from collections import Counter
from fractions import Fraction

# ---------------------------------------------------------------------------------------------
# Known samples. Generated once from fixed seeds; what matters is that they are stored in
# expected.json, so the TypeScript side reads the very same numbers.

def gen(seed, n, centre, rel_sd, digits=0):
    r = random.Random(seed)
    return [round(r.gauss(centre, centre * rel_sd), digits) if digits else int(round(r.gauss(centre, centre * rel_sd))) for _ in range(n)]


def heavy(seed, n, centre):
    # Log-normal body with occasional stalls (a slow repeat at ~half the rate): heavy left tail.
    r = random.Random(seed)
    out = []
    for i in range(n):
        v = centre * math.exp(r.gauss(0, 0.08))
        if r.random() < 0.2:
            v *= r.uniform(0.3, 0.6)
        out.append(int(round(v)))
    return out


def paired_drift(seed, n, centre, factor):
    # Each repeat index shares a machine phase (a drift of up to ±15%) on both sides; the
    # candidate is `factor` times faster with 1% noise of its own.
    r = random.Random(seed)
    ref, cand = [], []
    for i in range(n):
        phase = r.uniform(0.85, 1.15)
        ref.append(int(round(centre * phase * r.gauss(1, 0.01))))
        cand.append(int(round(centre * factor * phase * r.gauss(1, 0.01))))
    return ref, cand


def rounded(values, step):
    return [int(step * round(v / step)) for v in values]


DATASETS = {
    # Same distribution on both sides: expect `~`.
    'equal': dict(metric='requests_per_s', reference=gen(1, 10, 45000, 0.03), candidate=gen(2, 10, 45000, 0.03)),
    # Candidate 20% faster, 3% noise: expect `faster`, p = 2/C(20,10).
    'shifted_20': dict(metric='requests_per_s', reference=gen(3, 10, 45000, 0.03), candidate=gen(4, 10, 54000, 0.03)),
    # Heavy-tailed (stalled repeats), candidate 20% faster.
    'heavy_tailed': dict(metric='requests_per_s', reference=heavy(5, 10, 45000), candidate=heavy(6, 10, 54000)),
    # Latencies on a 50 µs grid: many ties, within each side and across; candidate 10% lower.
    'ties': dict(metric='latency_p99_us', reference=rounded(gen(7, 8, 1000, 0.05, 1), 50), candidate=rounded(gen(8, 8, 900, 0.05, 1), 50)),
    # Paired, with exact ratio ties (four pairs at ×1.25, two at ×1.5) and two zero differences
    # (×1), which the signed-rank test drops.
    'ties_paired': dict(metric='requests_per_s', reference=[40000 + 1000 * i for i in range(10)],
                        candidate=[(40000 + 1000 * i) * f for i, f in enumerate([1.25, 1.25, 1.5, 1, 1.25, 0.75, 1.5, 1.125, 1, 1.25])],
                        paired=True),
    # Three repeats each, 20% apart: the exact test cannot go below p = 0.1, so `~`.
    'n3': dict(metric='requests_per_s', reference=gen(9, 3, 45000, 0.03), candidate=gen(10, 3, 54000, 0.03), paired=True),
    # Latency 20% higher (worse): `slower`.
    'latency_slower': dict(metric='latency_p99_us', reference=gen(11, 10, 800, 0.04), candidate=gen(12, 10, 960, 0.04)),
    # Large samples with ties (pooled 65 > 60): the normal approximation.
    'large_normal': dict(metric='requests_per_s', reference=rounded(gen(13, 35, 45000, 0.05), 500), candidate=rounded(gen(14, 30, 46500, 0.05), 500)),
}
_pr, _pc = paired_drift(15, 10, 45000, 1.04)
# Alternated repeats sharing machine phases; the candidate 4% faster. Compared paired and not.
DATASETS['paired_drift'] = dict(metric='requests_per_s', reference=_pr, candidate=_pc, paired=True)

# Gate: previous run's samples against the current run's, per configuration and metric.
GATE = {
    'previous': [
        dict(config='baseline c10', metric='requests_per_s', samples=gen(21, 8, 45000, 0.02)),
        dict(config='baseline c100', metric='requests_per_s', samples=gen(22, 8, 60000, 0.01)),
        dict(config='saio c10', metric='requests_per_s', samples=gen(23, 3, 50000, 0.02)),
        dict(config='saio c100', metric='latency_p99_us', samples=gen(24, 8, 900, 0.02)),
        dict(config='saio c100', metric='requests_per_s', samples=gen(25, 8, 70000, 0.02)),
    ],
    'current': [
        # 12% down, significant: fails.
        dict(config='baseline c10', metric='requests_per_s', samples=gen(31, 8, 45000 * 0.88, 0.02)),
        # 5% down, significant but under the 10% threshold: passes.
        dict(config='baseline c100', metric='requests_per_s', samples=gen(32, 8, 60000 * 0.95, 0.01)),
        # 30% down on 3 repeats: not significant at 0.01 (smallest p 0.1): passes, says why.
        dict(config='saio c10', metric='requests_per_s', samples=gen(33, 3, 50000 * 0.7, 0.02)),
        # p99 latency 15% up: fails.
        dict(config='saio c100', metric='latency_p99_us', samples=gen(34, 8, 900 * 1.15, 0.02)),
        # 2% up: passes.
        dict(config='saio c100', metric='requests_per_s', samples=gen(35, 8, 70000 * 1.02, 0.02)),
        # No previous samples: skipped.
        dict(config='saio c400', metric='requests_per_s', samples=gen(36, 8, 80000, 0.02)),
    ],
}

LOWER_BETTER = ('latency_', 'service_')


def direction(metric):
    return 'lower' if metric.startswith(LOWER_BETTER) else 'higher'

# ---------------------------------------------------------------------------------------------
# Summaries

def order_stat_interval(n, level=Fraction(95, 100)):
    """Largest k with 1 - 2 P(B <= k-1) >= level, B ~ Bin(n, 1/2); exact with Fractions."""
    best = None
    for k in range(1, (n + 1) // 2 + 1):
        tail = sum(Fraction(math.comb(n, i), 2 ** n) for i in range(k))
        cov = 1 - 2 * tail
        if cov < level:
            break
        best = (k, n + 1 - k, cov)
    return best


def summary(xs):
    s = sorted(xs)
    n = len(s)
    iv = order_stat_interval(n)
    med = statistics.median(s)
    out = dict(n=n, median=med, min=s[0], max=s[-1], mean=statistics.fmean(s),
               cv=statistics.stdev(s) / statistics.fmean(s) if n >= 2 else None)
    if iv:
        k, u, cov = iv
        out.update(ci_low=s[k - 1], ci_high=s[u - 1], ci_ranks=[k, u], ci_coverage=float(cov),
                   ci_method='order-statistics',
                   ci_half_width_rel=max(med - s[k - 1], s[u - 1] - med) / abs(med))
    else:
        out.update(ci_low=None, ci_high=None, ci_ranks=None, ci_coverage=None, ci_method='none', ci_half_width_rel=None)
    return out

# ---------------------------------------------------------------------------------------------
# Mann-Whitney U

def u_pairwise(xs, ys):
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in xs for y in ys)


def mw_exact(x, y):
    """U of x against y; two-sided p from the full enumeration of group assignments."""
    pooled = list(x) + list(y)
    N, m = len(pooled), len(x)
    cmp = [[1.0 if a > b else 0.5 if a == b else 0.0 for b in pooled] for a in pooled]
    dist = Counter()
    for group in itertools.combinations(range(N), m):
        inside = set(group)
        outside = [j for j in range(N) if j not in inside]
        dist[sum(cmp[i][j] for i in group for j in outside)] += 1
    total = sum(dist.values())
    u = u_pairwise(x, y)

    def two_sided(v):
        lo = sum(c for w, c in dist.items() if w <= v)
        hi = sum(c for w, c in dist.items() if w >= v)
        return min(Fraction(1), Fraction(2 * min(lo, hi), total))

    p = two_sided(u)
    min_p = min(two_sided(w) for w in dist)
    return u, float(p), float(min_p)


def mw_normal(x, y):
    m, n = len(x), len(y)
    N = m + n
    u = u_pairwise(x, y)
    ties = Counter(list(x) + list(y)).values()
    var = m * n / 12 * ((N + 1) - sum(t ** 3 - t for t in ties) / (N * (N - 1)))
    z = max(0.0, abs(u - m * n / 2) - 0.5) / math.sqrt(var)
    return u, min(1.0, 2 * (1 - statistics.NormalDist().cdf(z))), z

# ---------------------------------------------------------------------------------------------
# Wilcoxon signed-rank on log ratios (paired)

def midranks(values):
    # Rank by counting, not sorting: #smaller + (#equal + 1) / 2.
    return [sum(1 for w in values if w < v) + (sum(1 for w in values if w == v) + 1) / 2 for v in values]


def log_ratios(ref, cand):
    return [math.log(c / r) for r, c in zip(ref, cand)]


def sr_exact(ref, cand):
    d = [v for v in log_ratios(ref, cand) if v != 0]
    ranks = midranks([abs(v) for v in d])
    w = sum(r for r, v in zip(ranks, d) if v > 0)
    dist = Counter(sum(r for r, on in zip(ranks, signs) if on) for signs in itertools.product((0, 1), repeat=len(d)))
    total = 2 ** len(d)

    def two_sided(v):
        lo = sum(c for x, c in dist.items() if x <= v)
        hi = sum(c for x, c in dist.items() if x >= v)
        return min(Fraction(1), Fraction(2 * min(lo, hi), total))
    return w, float(two_sided(w)), float(min(two_sided(x) for x in dist))


def sr_normal(ref, cand):
    d = [v for v in log_ratios(ref, cand) if v != 0]
    n = len(d)
    ranks = midranks([abs(v) for v in d])
    w = sum(r for r, v in zip(ranks, d) if v > 0)
    ties = Counter(abs(v) for v in d).values()
    var = n * (n + 1) * (2 * n + 1) / 24 - sum(t ** 3 - t for t in ties) / 48
    z = max(0.0, abs(w - n * (n + 1) / 4) - 0.5) / math.sqrt(var)
    return w, min(1.0, 2 * (1 - statistics.NormalDist().cdf(z))), z

# ---------------------------------------------------------------------------------------------
# Bootstrap replay (mulberry32, as electron/engine/stats/rng.ts)

def mulberry32(seed):
    state = [seed & 0xFFFFFFFF]

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def nxt():
        state[0] = (state[0] + 0x6D2B79F5) & 0xFFFFFFFF
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return nxt


def percentile_type7(sorted_vals, p):
    # R's type 7 / numpy's "linear": what statistics.quantiles(method='inclusive') computes too.
    h = (len(sorted_vals) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (h - lo) * (sorted_vals[hi] - sorted_vals[lo])


def bootstrap_replay(ref, cand, paired, seed=0x5A10, B=10000, level=0.95):
    rnd = mulberry32(seed)
    ratios = []
    for _ in range(B):
        if paired:
            idx = [math.floor(rnd() * len(ref)) for _ in range(len(ref))]
            r = [ref[i] for i in idx]
            c = [cand[i] for i in idx]
        else:
            r = [ref[math.floor(rnd() * len(ref))] for _ in range(len(ref))]
            c = [cand[math.floor(rnd() * len(cand))] for _ in range(len(cand))]
        ratios.append(statistics.median(c) / statistics.median(r))
    ratios.sort()
    tail = (1 - level) / 2
    # Cross-check the hand-written type-7 with the standard library's inclusive quantiles.
    q = statistics.quantiles(ratios, n=40, method='inclusive')
    assert math.isclose(q[0], percentile_type7(ratios, tail), rel_tol=1e-12)
    assert math.isclose(q[-1], percentile_type7(ratios, 1 - tail), rel_tol=1e-12)
    return percentile_type7(ratios, tail), percentile_type7(ratios, 1 - tail)

# ---------------------------------------------------------------------------------------------
# scipy, when present: an extra, independent check of the above

try:
    import numpy as np
    import scipy
    import scipy.stats as ss
except ImportError:  # the oracle itself needs only the standard library
    scipy = None


def scipy_checks(name, ref, cand, paired, mw):
    if scipy is None:
        return None
    out = {}
    x, y = np.array(cand, float), np.array(ref, float)
    if paired:
        d = np.log(x / y)
        r = ss.wilcoxon(d, zero_method='wilcox', alternative='two-sided', method='approx', correction=True)
        assert math.isclose(r.pvalue, mw['normal_p'], rel_tol=1e-9), (name, r.pvalue, mw['normal_p'])
        out['wilcoxon_approx_p'] = float(r.pvalue)
        if len(set(np.abs(d))) == len(d) and 0 not in d:
            r = ss.wilcoxon(d, alternative='two-sided', method='exact')
            assert math.isclose(r.pvalue, mw['p_value'], rel_tol=1e-9), (name, r.pvalue, mw['p_value'])
            out['wilcoxon_exact_p'] = float(r.pvalue)
    elif mw['test'] == 'mann-whitney-normal':
        r = ss.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic', use_continuity=True)
        assert math.isclose(r.pvalue, mw['p_value'], rel_tol=1e-9), (name, r.pvalue, mw['p_value'])
        out['mannwhitneyu_asymptotic_p'] = float(r.pvalue)
    elif len(set(cand) | set(ref)) == len(cand) + len(ref):
        r = ss.mannwhitneyu(x, y, alternative='two-sided', method='exact')
        assert math.isclose(r.pvalue, mw['p_value'], rel_tol=1e-9), (name, r.pvalue, mw['p_value'])
        out['mannwhitneyu_exact_p'] = float(r.pvalue)
    else:
        r = ss.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic', use_continuity=True)
        assert math.isclose(r.pvalue, mw['normal_p'], rel_tol=1e-9), (name, r.pvalue, mw['normal_p'])
        out['mannwhitneyu_asymptotic_p'] = float(r.pvalue)
        # Ties: the exact permutation test of the U statistic.
        stat = lambda a, b: ss.mannwhitneyu(a, b, method='asymptotic').statistic
        r = ss.permutation_test((x, y), stat, permutation_type='independent', n_resamples=np.inf, alternative='two-sided')
        assert math.isclose(r.pvalue, mw['p_value'], rel_tol=1e-9), (name, r.pvalue, mw['p_value'])
        out['permutation_test_exact_p'] = float(r.pvalue)
    ratio = lambda c, r_: np.median(c) / np.median(r_)
    b = ss.bootstrap((x, y), ratio, paired=paired, vectorized=False, n_resamples=20000, method='percentile',
                     confidence_level=0.95, random_state=np.random.default_rng(2024))
    out['bootstrap_ci'] = [float(b.confidence_interval.low), float(b.confidence_interval.high)]
    return out

# ---------------------------------------------------------------------------------------------

def comparison(name, d, paired, alpha=0.05):
    ref, cand = d['reference'], d['candidate']
    N = len(ref) + len(cand)
    if paired:
        # The normal approximation is computed for every dataset, to test that branch on small n.
        w, p_norm, z = sr_normal(ref, cand)
        w, p, min_p = sr_exact(ref, cand)
        mw = dict(test='signed-rank-exact', statistic=w, p_value=p, min_attainable_p=min_p, normal_p=p_norm, normal_z=z)
    elif N <= 60:
        u, p_norm, z = mw_normal(cand, ref)
        u, p, min_p = mw_exact(cand, ref)
        mw = dict(test='mann-whitney-exact', statistic=u, p_value=p, min_attainable_p=min_p, normal_p=p_norm, normal_z=z)
    else:
        u, p, z = mw_normal(cand, ref)
        mw = dict(test='mann-whitney-normal', statistic=u, p_value=p, min_attainable_p=None, normal_p=p, normal_z=z)
    lo, hi = bootstrap_replay(ref, cand, paired)
    ratio = statistics.median(cand) / statistics.median(ref)
    better = ratio > 1 if direction(d['metric']) == 'higher' else ratio < 1
    significant = mw['p_value'] < alpha and (lo > 1 or hi < 1)
    verdict = ('faster' if better else 'slower') if significant else '~'
    return dict(paired=paired, ratio=ratio, ci_low=lo, ci_high=hi, verdict=verdict, test=mw,
                scipy=scipy_checks(name, ref, cand, paired, mw))


def gate(threshold=0.10, alpha=0.01):
    prev = {(s['config'], s['metric']): s['samples'] for s in GATE['previous']}
    cases = []
    for s in GATE['current']:
        key = (s['config'], s['metric'])
        if key not in prev:
            cases.append(dict(config=s['config'], metric=s['metric'], status='skipped'))
            continue
        before, now = prev[key], s['samples']
        u, p, min_p = mw_exact(now, before)  # runs are independent: unpaired
        ratio = statistics.median(now) / statistics.median(before)
        worse_by = (1 - ratio) if direction(s['metric']) == 'higher' else (ratio - 1)
        status = 'fail' if p < alpha and worse_by > threshold else 'pass'
        cases.append(dict(config=s['config'], metric=s['metric'], status=status, p_value=p, ratio=ratio,
                          worse_by=worse_by, min_attainable_p=min_p))
    return cases


def main():
    out = {
        'generated_by': 'electron/engine/stats/oracle/oracle.py',
        'python': sys.version.split()[0],
        'scipy': scipy.__version__ if scipy else None,
        'order_statistic_intervals': {},
        'datasets': {},
        'gate': dict(input=GATE, threshold=0.10, alpha=0.01, cases=gate()),
    }
    for n in range(1, 101):
        iv = order_stat_interval(n)
        out['order_statistic_intervals'][n] = None if iv is None else dict(lower_rank=iv[0], upper_rank=iv[1], coverage=float(iv[2]))
        if scipy is not None and iv is not None:
            assert math.isclose(1 - 2 * ss.binom.cdf(iv[0] - 1, n, 0.5), float(iv[2]), rel_tol=1e-12)
    for name, d in DATASETS.items():
        entry = dict(d, summary_reference=summary(d['reference']), summary_candidate=summary(d['candidate']),
                     comparisons=[comparison(name, d, False)])
        if d.get('paired'):
            entry['comparisons'].append(comparison(name, d, True))
        out['datasets'][name] = entry
    assert out['datasets']['equal']['comparisons'][0]['verdict'] == '~'
    assert out['datasets']['shifted_20']['comparisons'][0]['verdict'] == 'faster'
    assert out['datasets']['n3']['comparisons'][0]['verdict'] == '~'
    assert out['datasets']['paired_drift']['comparisons'][0]['verdict'] == '~'
    assert out['datasets']['paired_drift']['comparisons'][1]['verdict'] == 'faster'
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'expected.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')
    os.replace(path + '.tmp', path)
    print(f'wrote {path}', file=sys.stderr)


if __name__ == '__main__':
    main()
