// Migration 3: placement samples and processes carry their host ("local" for everything before),
// and a run keeps the hosts it used. A schema-2 database upgrades with its rows read as before.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { PlacementSample, RunHostRecord } from '../model';
import type { Notebook } from '../notebook/schema';
import { createNotebook } from '../notebooks';
import { repoRoot } from '../paths';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-load-result';
import { Store } from './store';

const dir = mkdtempSync(join(tmpdir(), 'saio-store-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const quickstart = () => JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'quickstart.json'), 'utf8')) as Notebook;
const sample = (tid: number, host?: string): PlacementSample => ({
  ...(host ? { host } : {}), point_id: null, t_ms: tid, role: 'server', pid: 10, tid, comm: 'nginx', cpu: 0, allowed_cpus: '0-1', voluntary_ctxt: 1, nonvoluntary_ctxt: 2, utime_ticks: 3, stime_ticks: 4,
});

function withRun(s: Store): void {
  const { notebook, revision } = createNotebook(s, 'qs', quickstart());
  s.insertRun({ id: 'run-1', notebook_id: notebook.id, revision_id: revision.id, cell_id: 'nginx-keepalive', quick: true, started_at: '2026-01-01T00:00:00.000Z', owner_pid: process.pid, owner_start: '1', points_planned: 1, run_dir: '/tmp/x' });
}

test('a schema-2 database upgrades to 3: placement and processes get a host column whose default is local', () => {
  const path = join(dir, 'v2.db');
  const raw = new Database(path);
  for (const m of [m0001, m0002]) m.up(raw);
  raw.pragma('user_version = 2');
  raw.close();
  const s = new Store(path);
  assert.equal(s.db.pragma('user_version', { simple: true }), 3);
  const cols = (t: string) => (s.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; dflt_value: string }[]).find((c) => c.name === 'host')?.dflt_value;
  assert.equal(cols('placement_samples'), "'local'");
  assert.equal(cols('run_processes'), "'local'");
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
  assert.deepEqual(s.listProcesses('run-1').map((p) => `${p.host} ${p.role} ${p.pid} ${p.ended}`), ['srv server 10 true', 'local driver 10 false', 'gen1 driver 11 false']);
  const h: RunHostRecord = {
    name: 'srv', kind: 'ssh', address: 'ssh://saio-srv', roles: ['server'],
    environment: { host: 'srv', kind: 'ssh', address: 'ssh://saio-srv', captured_at: 'x', kernel: '6.1', kernel_cmdline: '', os: 'Debian', cpu_model: 'cpu', cpus: 2, memory_bytes: 1, extra: {}, tools: { nginx: 'nginx/1.22.1' } },
    clock_offset: { offset_ms: 1, uncertainty_ms: 2, samples: 7 },
    network_path: null,
    notes: ['libsaio.so: copied'],
  };
  s.putRunHost('run-1', h);
  assert.deepEqual(s.listRunHosts('run-1'), [h]);
  s.close();
});
