import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configKey } from '../common/axes';
import type { PointRecord, RunRecord } from '../model';
import { compareRuns, previousRun } from './regression';

const run = (id: string, started_at: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id, notebook_id: 'n', revision_id: 'r', cell_id: 'exp', status: 'ok', reason: null, quick: true, started_at,
  ended_at: started_at, owner_pid: 1, owner_start: '1', points_planned: 2, run_dir: '/x', ...over,
});
const point = (seq: number, connections: number, rps: number, status: PointRecord['status'] = 'ok'): PointRecord => ({
  id: seq, run_id: 'x', seq, kind: 'measure', backend: 'baseline', server: 'nginx', config: configKey({ workers: 1, connections, rate: null }),
  connections, workers: 1, rate_per_s: null, rate_of_capacity: null, repeat: seq, status, reason: null,
  requests_per_s: rps, offered_per_s: null, warnings: [], latency_p50_us: 1, latency_p90_us: 1, latency_p99_us: 1, latency_p999_us: 1, latency_max_us: 1,
  errors: 0, verified: true, verification: null, load: null, started_at: '', ended_at: '',
});

test('a configuration whose median falls below 1 - tolerance is a regression; others are not', () => {
  const prev = { run: run('a', '1'), points: [point(1, 10, 1000), point(2, 10, 1200), point(3, 50, 2000)] };
  const cur = { run: run('b', '2'), points: [point(1, 10, 1000), point(2, 10, 1100), point(3, 50, 1300), point(4, 200, 5)] };
  const c = compareRuns(prev, cur, 0.3);
  assert.deepEqual(
    c.map((x) => [x.connections, Math.round(x.ratio * 1000) / 1000, x.regressed]),
    [[10, 0.955, false], [50, 0.65, true]],
    'c=200 has nothing to compare against and is left out',
  );
  assert.equal(c[0]?.previous_run, 'a');
});

test('the previous run is the latest ok run of the same cell and kind, before this one', () => {
  const runs = [run('1', '2026-01-01'), run('2', '2026-01-02', { quick: false }), run('3', '2026-01-03', { status: 'failed' }), run('4', '2026-01-04'), run('5', '2026-01-05')];
  assert.equal(previousRun(runs, 'exp', true, '2026-01-05')?.id, '4');
  assert.equal(previousRun(runs, 'exp', false, '2026-01-05')?.id, '2');
  assert.equal(previousRun(runs, 'other', true, '2026-01-05'), undefined);
});
