import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, FIXTURE_ENVIRONMENT, FIXTURE_FAIL_REASON } from './fixture';
import { resultsJson, resultsJsonText } from './results-json';
import { median } from '../common/summary';
import { RESULTS_FORMAT } from '../common/results';

// Round-trip through text: the file is what readers get.
const doc = JSON.parse(resultsJsonText(fixture()));

test('top level has format, times, quick and the notebook identity', () => {
  assert.equal(doc.format, RESULTS_FORMAT);
  assert.equal(doc.generated_at, '2025-03-01T10:02:31.000Z');
  assert.equal(doc.elapsed_s, 151.5);
  assert.equal(doc.quick, false);
  assert.deepEqual(
    { id: doc.notebook.id, name: doc.notebook.name, revision_id: doc.notebook.revision_id, title: doc.notebook.title },
    { id: 'nb-1', name: 'static-file', revision_id: 'rev-7', title: 'nginx static file: baseline vs saio-uring' },
  );
  assert.equal(doc.runs.length, 1);
});

test('a run carries its identity, status and environment as is', () => {
  const run = doc.runs[0];
  for (const k of ['id', 'cell_id', 'status', 'reason', 'started_at', 'ended_at']) assert.ok(k in run, k);
  assert.equal(run.cell_id, 'sweep');
  assert.equal(run.status, 'failed');
  assert.deepEqual(run.environment, FIXTURE_ENVIRONMENT);
  for (const k of ['kernel', 'cpus', 'server_version', 'git_commit']) assert.ok(k in run.environment, k);
});

test('placement samples have time in seconds and the thread fields', () => {
  const s = doc.runs[0].placement;
  assert.equal(s.length, 12);
  for (const k of ['pid', 'tid', 'comm', 'cpu', 'time', 'role', 'point_id', 'allowed_cpus', 'voluntary_ctxt', 'nonvoluntary_ctxt']) {
    assert.ok(k in s[0], k);
  }
  assert.equal(s[0].time, 1.5);
  assert.equal(s[s.length - 1].time, 2.5);
  assert.equal(s[0].comm, 'nginx');
});

test('every repeat is its own point with all measured fields', () => {
  const points = doc.runs[0].points;
  assert.equal(points.length, 12);
  const fields = [
    'backend',
    'connections',
    'workers',
    'repeat',
    'status',
    'reason',
    'requests_per_s',
    'latency_p50_us',
    'latency_p90_us',
    'latency_p99_us',
    'latency_p999_us',
    'errors',
    'verified',
    'verification',
  ];
  for (const p of points) for (const k of fields) assert.ok(k in p, k);
  const repeats = points.filter((p: any) => p.backend === 'baseline' && p.connections === 100);
  assert.deepEqual(
    repeats.map((p: any) => p.repeat),
    [1, 2],
  );
  assert.notEqual(repeats[0].requests_per_s, repeats[1].requests_per_s);
  const failed = points.filter((p: any) => p.status === 'failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].reason, FIXTURE_FAIL_REASON);
  assert.equal(failed[0].requests_per_s, null);
  assert.equal(failed[0].verified, false);
});

test('summary has one row per configuration with median/min/max over ok repeats', () => {
  const { points, summary } = doc.runs[0];
  assert.equal(summary.length, 6);
  const row = summary.find((r: any) => r.backend === 'baseline' && r.connections === 100);
  const rates = points.filter((p: any) => p.backend === 'baseline' && p.connections === 100).map((p: any) => p.requests_per_s);
  assert.equal(row.n, 2);
  assert.equal(row.workers, 1);
  assert.equal(row.requests_per_s_median, (rates[0] + rates[1]) / 2);
  assert.equal(row.requests_per_s_min, Math.min(...rates));
  assert.equal(row.requests_per_s_max, Math.max(...rates));
  assert.equal(typeof row.latency_p99_us_median, 'number');
  // The failed repeat is counted, not averaged in.
  const partial = summary.find((r: any) => r.backend === 'saio-uring' && r.connections === 1000);
  assert.equal(partial.n, 1);
  assert.equal(partial.not_ok, 1);
  assert.equal(partial.requests_per_s_min, partial.requests_per_s_max);
  assert.deepEqual(
    summary.map((r: any) => r.backend),
    ['baseline', 'baseline', 'baseline', 'saio-uring', 'saio-uring', 'saio-uring'],
  );
});

test('resultsJson is plain data and median handles odd, even and empty input', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(resultsJson(fixture()))), doc);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
});
