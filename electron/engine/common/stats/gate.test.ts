// The gate against the oracle's decisions (oracle/oracle.py: exact U p-values by enumeration,
// medians with Python's statistics), and its JUnit XML read back by an independent parser
// (Python's xml.etree, python3 being one of the apt packages the project installs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../paths';
import { gate, type GateSeries } from './gate';
import { gateJUnit, gateMarkdown } from './gate-report';

interface OracleGateCase {
  config: string;
  metric: string;
  status: string;
  p_value?: number;
  ratio?: number;
  worse_by?: number;
  min_attainable_p?: number;
}
const oracle = JSON.parse(readFileSync(join(repoRoot(), 'electron/engine/common/stats/oracle/expected.json'), 'utf8')) as {
  gate: { input: { previous: GateSeries[]; current: GateSeries[] }; threshold: number; alpha: number; cases: OracleGateCase[] };
};
const { input } = oracle.gate;

test("each configuration × metric gets the oracle's decision, with its numbers", () => {
  const r = gate(input.previous, input.current, { alpha: oracle.gate.alpha, threshold: oracle.gate.threshold });
  for (const want of oracle.gate.cases) {
    const got = r.cases.find((c) => c.config === want.config && c.metric === want.metric);
    assert.ok(got, `${want.config} ${want.metric}`);
    assert.equal(got.status, want.status, `${want.config} ${want.metric}: ${got.message}`);
    if (want.status === 'skipped') continue;
    assert.ok(Math.abs(got.comparison!.p_value - want.p_value!) <= 1e-9 * want.p_value!, `p ${got.comparison!.p_value} vs ${want.p_value}`);
    assert.ok(Math.abs(got.comparison!.ratio - want.ratio!) <= 1e-12, 'ratio');
    assert.ok(Math.abs(got.worse_by! - want.worse_by!) <= 1e-12, 'worse_by');
  }
  assert.equal(r.failures, 2);
  assert.equal(r.passed, false);
  const n3 = r.cases.find((c) => c.config === 'saio c10')!;
  assert.match(n3.message, /3 vs 3 repeats cannot reach α = 0\.01/, 'a gate that cannot fail says so');
});

test('the same samples twice pass; a threshold above the loss passes; a looser alpha does not rescue a small n', () => {
  assert.equal(gate(input.current, input.current).passed, true);
  assert.equal(gate(input.previous, input.current, { threshold: 0.2 }).passed, true, 'both failures are 12-15% worse');
  const loose = gate(input.previous, input.current, { alpha: 0.05 });
  assert.equal(loose.cases.find((c) => c.config === 'saio c10')!.status, 'pass', '3 vs 3: smallest p is 0.1 even at α 0.05');
});

test('without a comparable previous run the gate passes and says why, in both outputs', () => {
  const r = gate(null, input.current, { noPrevious: 'no finished run of this cell on this machine (Intel Xeon, 6.18, 2 cores)' });
  assert.equal(r.passed, true);
  assert.equal(r.comparable, false);
  assert.match(r.message, /without comparing: no finished run/);
  const cases = parseJUnit(gateJUnit(r));
  assert.equal(cases.length, 1);
  assert.match(cases[0]!.skipped!, /no finished run of this cell/);
  assert.match(gateMarkdown(r), /passed[\s\S]*no finished run/);
});

interface ParsedCase {
  classname: string;
  name: string;
  failure: string | null;
  failureText: string | null;
  skipped: string | null;
}
function parseJUnit(xml: string): ParsedCase[] {
  const py = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
assert root.tag == 'testsuites', root.tag
out = []
for s in root.iter('testsuite'):
    cases = list(s.iter('testcase'))
    assert int(s.get('tests')) == len(cases)
    assert int(s.get('failures')) == sum(1 for c in cases if c.find('failure') is not None)
    assert int(s.get('skipped')) == sum(1 for c in cases if c.find('skipped') is not None)
    for c in cases:
        f, k = c.find('failure'), c.find('skipped')
        out.append(dict(classname=c.get('classname'), name=c.get('name'),
                        failure=None if f is None else f.get('message'), failureText=None if f is None else f.text,
                        skipped=None if k is None else k.get('message')))
print(json.dumps(out))
`;
  const r = spawnSync('python3', ['-c', py], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, `python3 could not read the JUnit XML: ${r.stderr}\n${xml}`);
  return JSON.parse(r.stdout) as ParsedCase[];
}

test('JUnit XML: one testcase per configuration × metric, failures name the configuration and carry the numbers', () => {
  const r = gate(input.previous, input.current, { previousLabel: 'run 7 <2026-01-02> "quick" & co' });
  const xml = gateJUnit(r);
  const cases = parseJUnit(xml);
  assert.equal(cases.length, input.current.length);
  const failed = cases.filter((c) => c.failure !== null);
  assert.deepEqual(failed.map((c) => `${c.classname} ${c.name}`).sort(), ['baseline c10 requests_per_s', 'saio c100 latency_p99_us']);
  const c10 = failed.find((c) => c.classname === 'baseline c10')!;
  assert.match(c10.failure!, /baseline c10 requests_per_s: regression: down 12\.1% \(×0\.879, 95% CI ×[\d.]+–×[\d.]+\), p = 0\.00016 < 0\.01, worse by 12\.1% > 10\.0% threshold/);
  assert.match(c10.failureText!, /previous: median 45,\d{3} \[[\d,]+, [\d,]+\] n=8/);
  assert.match(c10.failureText!, /mann-whitney-exact: p = 0\.00016/);
  assert.equal(
    cases
      .filter((c) => c.skipped !== null)
      .map((c) => c.classname)
      .join(),
    'saio c400',
  );
  assert.match(xml, /value="run 7 &lt;2026-01-02&gt; &quot;quick&quot; &amp; co"/, 'attributes escaped');
});

test('JUnit XML survives hostile names (control characters, quotes, markup)', () => {
  const evil = 'c10 <x a="1"> & \u0001\u001b]0;title\u0007 ]]> \'q\'';
  const r = gate([{ config: evil, metric: 'requests_per_s', samples: [10, 11, 12, 13, 14] }], [{ config: evil, metric: 'requests_per_s', samples: [5, 5.5, 6, 6.5, 7] }]);
  const cases = parseJUnit(gateJUnit(r));
  // eslint-disable-next-line no-control-regex -- the control characters the JUnit writer drops
  assert.equal(cases[0]!.classname, evil.replace(/[\u0000-\u001f]/g, ''));
  assert.ok(cases[0]!.failure, '50% down on 5 vs 5 (p = 0.0079 < 0.01) fails');
});

test('Markdown summary: verdict first, failures first, pipes in names escaped', () => {
  const md = gateMarkdown(gate(input.previous, input.current), 'nginx | quickstart');
  const lines = md.split('\n');
  assert.equal(lines[0], '## nginx \\| quickstart: FAILED');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| Configuration'));
  assert.equal(rows.length, input.current.length);
  assert.match(rows[0]!, /^\| (baseline c10|saio c100) \| (requests_per_s|latency_p99_us) \|.*❌ regression/);
  assert.match(rows[1]!, /❌ regression/);
  assert.doesNotMatch(rows[2]!, /❌/);
  // Every row has the same number of cells as the header.
  const cells = (l: string) => l.replace(/\\\|/g, '').split('|').length;
  for (const r of rows) assert.equal(cells(r), cells(lines.find((l) => l.startsWith('| Configuration'))!));
});
