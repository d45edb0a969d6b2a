// Migration 4: placement samples and processes carry their host ("local" for everything before),
// and a run keeps the hosts it used. A schema-2 database and a schema-3 one (points with their CPU,
// issue 12) upgrade with their rows read as before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { PlacementSample } from '../model';
import { quickstart } from '../notebook/fixture';
import { remoteHost } from '../bundle/fixture';
import { fixtureCpu } from '../report/fixture';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-load-result';
import * as m0003 from './migrations/0003-cpu';
import { withRun } from './fixture';
import { Store } from './store';

const dir = mkdtempSync(join(tmpdir(), 'saio-store-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sample = (tid: number, host?: string): PlacementSample => ({
  ...(host ? { host } : {}),
  point_id: null,
  t_ms: tid,
  role: 'server',
  pid: 10,
  tid,
  comm: 'nginx',
  cpu: 0,
  allowed_cpus: '0-1',
  voluntary_ctxt: 1,
  nonvoluntary_ctxt: 2,
  utime_ticks: 3,
  stime_ticks: 4,
});

/** A database as an older saio-lab left it: migrations 1..version applied, nothing else. */
function olderDatabase(path: string, version: 2 | 3): void {
  const raw = new Database(path);
  for (const m of [m0001, m0002, m0003].slice(0, version)) m.up(raw);
  raw.pragma(`user_version = ${version}`);
  raw.close();
}

const hostDefault = (s: Store, t: string) => (s.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; dflt_value: string }[]).find((c) => c.name === 'host')?.dflt_value;

test('a schema-2 database upgrades to 4: points get their CPU columns, placement and processes a host column whose default is local', () => {
  const path = join(dir, 'v2.db');
  olderDatabase(path, 2);
  const s = new Store(path);
  assert.equal(s.db.pragma('user_version', { simple: true }), 4);
  assert.equal(hostDefault(s, 'placement_samples'), "'local'");
  assert.equal(hostDefault(s, 'run_processes'), "'local'");
  const pointColumns = (s.db.prepare('PRAGMA table_info(points)').all() as { name: string }[]).map((c) => c.name);
  assert.ok(pointColumns.includes('cpu') && pointColumns.includes('requests_per_cpu_s'), pointColumns.join(' '));
  s.close();
});

test('a schema-3 database (issue 12: points with CPU) upgrades to 4 with its points, placement and processes read as before, on host local', () => {
  const path = join(dir, 'v3.db');
  olderDatabase(path, 3);
  const raw = new Database(path);
  const nb = quickstart();
  raw.prepare("INSERT INTO notebooks VALUES ('nb-1', 'qs', '2026-01-01T00:00:00.000Z', 'rev-1')").run();
  raw.prepare("INSERT INTO revisions VALUES ('rev-1', 'nb-1', NULL, ?, 'x', 'first', '2026-01-01T00:00:00.000Z')").run(JSON.stringify(nb));
  raw
    .prepare(
      "INSERT INTO runs (id, notebook_id, revision_id, cell_id, status, quick, started_at, owner_pid, owner_start, points_planned, run_dir) VALUES ('run-1', 'nb-1', 'rev-1', 'nginx-keepalive', 'running', 1, '2026-01-01T00:00:00.000Z', 1, '1', 1, '/tmp/x')",
    )
    .run();
  const cpu = fixtureCpu(0.5, 1);
  raw
    .prepare(
      "INSERT INTO points (id, run_id, seq, backend, server, connections, workers, repeat, status, requests_per_s, verified, started_at, config, cpu, requests_per_cpu_s) VALUES (7, 'run-1', 1, 'baseline', 'nginx', 10, 1, 1, 'ok', 1234.5, 1, '2026-01-01T00:00:00.000Z', 'w=1 c=10 closed', ?, 2469)",
    )
    .run(JSON.stringify(cpu));
  raw.prepare("INSERT INTO placement_samples VALUES ('run-1', 7, 5, 'server', 10, 11, 'nginx', 0, '0', 1, 2, 3, 4)").run();
  raw.prepare("INSERT INTO run_processes (run_id, point_id, role, pid, start_ticks, argv) VALUES ('run-1', 7, 'server', 10, '5', '[\"nginx\"]')").run();
  raw.close();

  const s = new Store(path);
  assert.equal(s.db.pragma('user_version', { simple: true }), 4);
  const [point] = s.listPoints('run-1');
  assert.deepEqual(point?.cpu, cpu);
  assert.equal(point?.requests_per_cpu_s, 2469);
  assert.deepEqual(s.listPlacement('run-1'), [
    { point_id: 7, t_ms: 5, role: 'server', pid: 10, tid: 11, comm: 'nginx', cpu: 0, allowed_cpus: '0', voluntary_ctxt: 1, nonvoluntary_ctxt: 2, utime_ticks: 3, stime_ticks: 4 },
  ]);
  assert.deepEqual(
    s.listProcesses('run-1').map((p) => `${p.host} ${p.role} ${p.pid} ${p.ended}`),
    ['local server 10 false'],
  );
  assert.deepEqual(s.listRunHosts('run-1'), []);
  s.close();
});

test('placement and processes by host; a run keeps the hosts it used', () => {
  const s = new Store(join(dir, 'hosts.db'));
  withRun(s);
  s.insertPlacement('run-1', [sample(1), sample(2, 'srv')]);
  assert.deepEqual(s.listPlacement('run-1'), [sample(1), sample(2, 'srv')]);
  s.recordProcess({ run_id: 'run-1', point_id: null, role: 'server', pid: 10, start_ticks: '5', argv: ['nginx'], host: 'srv' });
  s.recordProcess({ run_id: 'run-1', point_id: null, role: 'driver', pid: 10, start_ticks: '6', argv: ['saio-load'] });
  // The same pid on two hosts: ending one leaves the other.
  s.markProcessEnded('run-1', 10, 'srv');
  assert.deepEqual(s.openProcesses('run-1'), [{ pid: 10, start_ticks: '6', role: 'driver' }]);
  assert.deepEqual(s.openProcessHosts('run-1'), []);
  s.recordProcess({ run_id: 'run-1', point_id: null, role: 'driver', pid: 11, start_ticks: '7', argv: ['saio-load'], host: 'gen1' });
  assert.deepEqual(s.openProcessHosts('run-1'), ['gen1']);
  assert.deepEqual(
    s.listProcesses('run-1').map((p) => `${p.host} ${p.role} ${p.pid} ${p.ended}`),
    ['srv server 10 true', 'local driver 10 false', 'gen1 driver 11 false'],
  );
  s.putRunHost('run-1', remoteHost);
  assert.deepEqual(s.listRunHosts('run-1'), [remoteHost]);
  s.close();
});
