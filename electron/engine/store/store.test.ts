import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Notebook } from '../common/notebook/schema';
import { shippedNotebook } from '../notebook/fixture';
import { canonicalText } from '../notebook/validate';
import { createNotebook, diffRevisions, history, loadRevision, restoreRevision, saveRevision } from '../notebooks';
import { withRun } from './fixture';
import { revisionId, sha256, Store } from './store';
import { fixtureCpu } from '../report/fixture';

const dir = mkdtempSync(join(tmpdir(), 'saio-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const quickstart = (): Notebook => shippedNotebook('quickstart');

function edited(nb: Notebook, connections: number[]): Notebook {
  const copy = structuredClone(nb);
  const exp = copy.cells.find((c) => c.type === 'experiment');
  if (exp?.type === 'experiment') exp.sweep.connections = connections;
  return copy;
}

test('a new database gets every migration, WAL, and refuses a newer schema', () => {
  const path = join(dir, 'fresh.db');
  const s = new Store(path);
  assert.equal(s.db.pragma('user_version', { simple: true }), 4);
  assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
  const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  for (const t of ['artifacts', 'environments', 'notebooks', 'placement_samples', 'points', 'revisions', 'run_hosts', 'run_processes', 'runs']) assert.ok(tables.includes(t), t);
  s.close();
  // Reopening applies nothing twice.
  new Store(path).close();

  const raw = new Database(path);
  raw.pragma('user_version = 99');
  raw.close();
  assert.throws(() => new Store(path), /newer saio-lab \(schema 99, this one knows up to 4\)/);
});

test('revisions: create, save, no-op save, history, diff, restore — all immutable', () => {
  const s = new Store(join(dir, 'rev.db'));
  const { notebook, revision: r1 } = createNotebook(s, 'qs', quickstart());
  assert.equal(r1.parent_id, null);
  assert.equal(r1.content_sha256, sha256(canonicalText(loadRevision(s, r1.id))));
  assert.equal(r1.id, revisionId(r1), 'a revision id is the hash of its content, parent, message and time');

  const same = saveRevision(s, notebook, quickstart(), 'nothing changed');
  assert.equal(same.created, false);
  assert.equal(same.revision.id, r1.id);

  const r2 = saveRevision(s, notebook, edited(quickstart(), [10, 20]), 'fewer connections').revision;
  assert.equal(r2.parent_id, r1.id);
  assert.deepEqual(
    history(s, notebook).map((r) => r.message),
    ['fewer connections', 'Create notebook'],
  );
  const changes = diffRevisions(s, r1, r2);
  assert.deepEqual(changes, [{ kind: 'changed', path: 'cells[1].sweep.connections', before: [10, 50, 100, 200], after: [10, 20] }]);

  const restored = restoreRevision(s, s.getNotebook(notebook.id)!, r1);
  assert.equal(restored.created, true);
  assert.equal(restored.revision.parent_id, r2.id);
  assert.equal(restored.revision.content_sha256, r1.content_sha256);
  assert.match(restored.revision.message, new RegExp(`Restore revision ${r1.id.slice(0, 12)}`));
  assert.equal(s.getNotebook(notebook.id)?.head_revision_id, restored.revision.id);
  assert.equal(history(s, notebook).length, 3);

  assert.throws(() => s.db.prepare("UPDATE revisions SET message = 'rewritten'").run(), /revisions are immutable/);
  assert.throws(() => s.db.prepare('DELETE FROM revisions').run(), /revisions are immutable/);
  assert.throws(() => createNotebook(s, 'qs', quickstart()), /exists already/);
  assert.throws(() => createNotebook(s, '../evil', quickstart()), /not a notebook name/);
  s.close();
});

test('runs, points, artifacts, placement and environment are stored and read back whole', () => {
  const s = new Store(join(dir, 'runs.db'));
  withRun(s);
  const pointId = s.insertPoint({
    run_id: 'run-1',
    seq: 1,
    kind: 'measure',
    backend: 'baseline',
    server: 'nginx',
    config: 'w=1 c=10 closed',
    connections: 10,
    workers: 1,
    rate_per_s: null,
    rate_of_capacity: null,
    repeat: 1,
    status: 'ok',
    reason: null,
    requests_per_s: 1234.5,
    offered_per_s: null,
    warnings: ['a', 'b'],
    cpu: fixtureCpu(0.5, 1),
    requests_per_cpu_s: 2469,
    latency_p50_us: 100,
    latency_p90_us: 150,
    latency_p99_us: 300,
    latency_p999_us: 900,
    latency_max_us: 2000,
    errors: 0,
    verified: true,
    verification: { protocol: 'http', responses_checked: 5, responses_mismatched: 0, bad_responses: 0, socket_errors: 0, after: { check: 'c', expected: 'a', found: 'a', ok: true } },
    load: null,
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: '2026-01-01T00:00:01.000Z',
  });
  const bytes = Buffer.from([0, 1, 2, 255, 0]);
  s.insertArtifact({ run_id: 'run-1', point_id: pointId, kind: 'driver-stdout', name: 'driver.stdout' }, bytes);
  s.insertPlacement('run-1', [
    { point_id: pointId, t_ms: 5, role: 'server', pid: 10, tid: 11, comm: 'nginx', cpu: 0, allowed_cpus: '0', voluntary_ctxt: 1, nonvoluntary_ctxt: 2, utime_ticks: 3, stime_ticks: 4 },
  ]);
  const [point] = s.listPoints('run-1');
  assert.equal(point?.verified, true);
  assert.equal(point?.verification?.responses_checked, 5);
  assert.deepEqual(point?.warnings, ['a', 'b']);
  assert.equal(point?.kind, 'measure');
  const [art] = s.listArtifacts('run-1');
  assert.equal(art?.sha256, sha256(bytes));
  assert.deepEqual(s.artifactContent(art!.id), bytes);
  assert.equal(s.listPlacement('run-1')[0]?.comm, 'nginx');

  s.finishRun('run-1', 'ok', null, '2026-01-01T00:00:02.000Z');
  assert.equal(s.getRun('run-1')?.status, 'ok');
  // A finished run is history: no second ending, no edits.
  s.finishRun('run-1', 'failed', 'late', '2026-01-01T00:00:03.000Z');
  assert.equal(s.getRun('run-1')?.status, 'ok');
  assert.throws(() => s.db.prepare("UPDATE runs SET status = 'failed'").run(), /a finished run is immutable/);
  s.close();
});
