// Runs, jobs and events: progress, live output, results refreshed as points end.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { JobInfo } from '../../../electron/api/contract';
import type { PlacementSample, PointRecord, ProgressEvent, RunRecord } from '../../../electron/engine/model';
import { installFake, tick, type Fake } from '../testing/fake-client';
import { useCompare } from './compare';
import { activeJob, latestRun, useRuns } from './runs';
import { MAX_TERMINAL_BYTES, useTerminal } from './terminal';

const run = (id: string, cell: string, started: string, status: RunRecord['status'] = 'ok'): RunRecord => ({
  id,
  notebook_id: 'nb1',
  revision_id: 'r1',
  cell_id: cell,
  status,
  reason: null,
  quick: true,
  started_at: started,
  ended_at: null,
  owner_pid: 1,
  owner_start: '',
  points_planned: 2,
  run_dir: '/tmp',
});
const job = (state: JobInfo['state'], runs: string[] = []): JobInfo => ({ job: 'j1', notebook_id: 'nb1', state, runs, last_progress: null, error: null });
const progress = (phase: ProgressEvent['phase'], point = 1): ProgressEvent => ({ run_id: 'run2', cell_id: 'e', point, points: 2, phase, label: '', elapsed_s: 1, eta_s: 3 });

let fake: Fake;
let runs: RunRecord[];
beforeEach(() => {
  fake = installFake();
  runs = [run('run1', 'e', '2026-01-01T00:00:00Z')];
  fake.on('runs.list', () => runs);
  fake.on('runs.jobs', () => []);
  fake.on('runs.get', (i) => ({ run: runs.find((r) => r.id === i.run) ?? run(i.run, 'e', '2026-01-01T00:00:02Z', 'running'), environment: null, placement: [], points: [] }));
  fake.on('notebooks.list', () => []);
  useRuns.setState({ ref: null, runs: [], results: {}, jobs: {}, progress: {} });
  useTerminal.getState().clear();
});

test('runs load newest first; the latest run of a cell is found', async () => {
  runs.push(run('run0', 'e', '2025-12-31T00:00:00Z'), run('runX', 'other', '2026-02-01T00:00:00Z'));
  await useRuns.getState().load('qs', 'nb1');
  assert.deepEqual(
    useRuns.getState().runs.map((r) => r.id),
    ['runX', 'run1', 'run0'],
  );
  assert.equal(latestRun(useRuns.getState().runs, 'e')?.id, 'run1');
  assert.equal(latestRun(useRuns.getState().runs, 'none'), null);
});

test('start sends quick and the cells; the job becomes the active one', async () => {
  fake.on('runs.start', () => job('running'));
  await useRuns.getState().load('qs', 'nb1');
  await useRuns.getState().start(['e']);
  assert.deepEqual(fake.calls.find((c) => c.method === 'runs.start')!.input, { ref: 'qs', quick: true, cells: ['e'] });
  assert.equal(activeJob(useRuns.getState())?.job, 'j1');
});

const point = (id: number, seq: number): PointRecord =>
  ({ id, run_id: 'run2', seq, kind: 'measure', backend: 'baseline', status: 'ok', requests_per_s: 1000 + seq, warnings: [] }) as unknown as PointRecord;
const sample = (point_id: number, t_ms: number): PlacementSample =>
  ({ point_id, t_ms, role: 'server', pid: 1, tid: 1, comm: 'nginx', cpu: 0, allowed_cpus: '0-1', voluntary_ctxt: 0, nonvoluntary_ctxt: 0, utime_ticks: 0, stime_ticks: 0 }) as PlacementSample;

test('progress events are kept per job; a new run reloads the list; a progress event fetches no results', async () => {
  await useRuns.getState().load('qs', 'nb1');
  const before = fake.calls.length;
  useRuns.getState().onEvent({ type: 'progress', job: 'j1', event: progress('measure') });
  assert.equal(useRuns.getState().progress.j1?.phase, 'measure');
  useRuns.getState().onEvent({ type: 'progress', job: 'j1', event: progress('done') });
  await tick(5);
  const methods = fake.calls.slice(before).map((c) => c.method);
  assert.ok(methods.includes('runs.list'), 'unknown run id: the list is reloaded');
  assert.ok(!methods.includes('runs.get'), 'the point arrives in its own event');
});

test('a point event loads a run not shown yet once, then each later point is added from its event alone', async () => {
  await useRuns.getState().load('qs', 'nb1');
  const before = fake.calls.length;
  useRuns.getState().onEvent({ type: 'point', job: 'j1', run_id: 'run2', point: point(11, 1), placement: [sample(11, 10)] });
  await tick(5);
  assert.equal(fake.calls.slice(before).filter((c) => c.method === 'runs.get').length, 1, 'a run not loaded: fetched once');
  for (let seq = 2; seq <= 200; seq++) {
    useRuns.getState().onEvent({ type: 'point', job: 'j1', run_id: 'run2', point: point(10 + seq, seq), placement: [sample(10 + seq, seq * 10)] });
  }
  // The same point again (a repeat decision names the last point too) changes nothing.
  useRuns.getState().onEvent({ type: 'point', job: 'j1', run_id: 'run2', point: point(210, 200), placement: [sample(210, 2000)] });
  await tick(5);
  assert.equal(fake.calls.slice(before).filter((c) => c.method === 'runs.get').length, 1, '199 more points: no fetch');
  const r = useRuns.getState().results.run2!;
  assert.deepEqual(
    r.points.map((p) => p.seq),
    Array.from({ length: 199 }, (_, i) => i + 2),
    'the fetched run had none; each event added its point, in order',
  );
  assert.equal(r.placement.length, 199);
  assert.ok(r.placement.every((s, i) => i === 0 || s.t_ms >= r.placement[i - 1]!.t_ms));
});

test('output events reach the terminal buffer, which stays bounded', () => {
  useRuns.getState().onEvent({ type: 'output', job: 'j1', role: 'server', stream: 'stdout', data: 'hello\n' });
  assert.equal(useTerminal.getState().chunks.at(-1)?.data, 'hello\n');
  const big = 'x'.repeat(1024 * 1024);
  for (let i = 0; i < 6; i++) useTerminal.getState().append({ job: 'j1', role: 'driver', stream: 'stdout', data: big });
  assert.ok(useTerminal.getState().bytes <= MAX_TERMINAL_BYTES);
  assert.ok(useTerminal.getState().dropped > 0);
});

test("a job that ends reloads runs and its runs' results, and notes it in the terminal", async () => {
  await useRuns.getState().load('qs', 'nb1');
  useRuns.getState().onEvent({ type: 'job', job: job('running') });
  const before = fake.calls.length;
  runs.push(run('run2', 'e', '2026-01-01T00:00:05Z'));
  useRuns.getState().onEvent({ type: 'job', job: job('done', ['run2']) });
  await tick(5);
  const methods = fake.calls.slice(before).map((c) => c.method);
  assert.ok(methods.includes('runs.list'));
  assert.ok(methods.includes('runs.get'));
  assert.equal(activeJob(useRuns.getState()), null);
  assert.match(useTerminal.getState().chunks.at(-1)!.data, /run finished/);
});

test('results of a finished run are cached; concurrent loads share one request', async () => {
  await useRuns.getState().load('qs', 'nb1');
  const n = () => fake.calls.filter((c) => c.method === 'runs.get').length;
  await Promise.all([useRuns.getState().loadResults('run1'), useRuns.getState().loadResults('run1')]);
  assert.equal(n(), 1);
  await useRuns.getState().loadResults('run1');
  assert.equal(n(), 1);
  await useRuns.getState().loadResults('run1', true);
  assert.equal(n(), 2);
});

test('compare: picking runs keeps a baseline among them', () => {
  useCompare.getState().reset();
  useCompare.getState().toggle('a');
  useCompare.getState().toggle('b');
  assert.equal(useCompare.getState().baseline, 'a');
  useCompare.getState().setBaseline('b');
  useCompare.getState().toggle('b');
  assert.deepEqual(useCompare.getState().selected, ['a']);
  assert.equal(useCompare.getState().baseline, 'a');
  useCompare.getState().setBaseline('zzz');
  assert.equal(useCompare.getState().baseline, 'a');
});
