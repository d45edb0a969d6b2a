// What saio-lab wrote before issue 11 — a notebook in format 1, a bundle of version 1 and a
// database of schema 1, all made by the code of that time (tests/fixtures/legacy-v1/README.md) —
// still reads: the notebook validates (upgraded to format 2), the bundle imports, the database
// migrates, and the bundle and the database give the very same points.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { configKey } from '../common/axes';
import { exportBundle } from '../bundle/export';
import { snapshot } from '../bundle/fixture';
import { importBundle } from '../bundle/import';
import { repack, editJson, unpack } from '../bundle/repack';
import { loadRevision } from '../notebooks';
import { NOTEBOOK_FORMAT } from '../common/notebook/schema';
import { canonicalText, parseNotebookText } from '../notebook/validate';
import { repoRoot } from '../paths';
import { gateCell } from '../report/gate-run';
import { summarizePoints } from '../common/summary';
import { sha256, Store } from '../store/store';

const LEGACY = join(repoRoot(), 'tests', 'fixtures', 'legacy-v1');
const dir = mkdtempSync(join(tmpdir(), 'saio-legacy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a format-1 notebook validates and reads as format 2: file size and keep-alive become the http protocol', () => {
  const text = readFileSync(join(LEGACY, 'legacy-v1.json'), 'utf8');
  const v = parseNotebookText(text);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.equal(v.notebook.format, NOTEBOOK_FORMAT);
  const exp = v.notebook.cells[1];
  assert.ok(exp?.type === 'experiment');
  assert.deepEqual(exp.server, { kind: 'nginx', workers: 1, extra_config: '' });
  assert.deepEqual(exp.protocol, { kind: 'http', file_size: 1024, keep_alive: true });
  assert.deepEqual(exp.driver, { kind: 'wrk', threads: 1, timeout_s: 5, verify: 'warmup' });
  assert.deepEqual(exp.sweep, { connections: [10, 20], workers: [1, 2] });
  assert.deepEqual(exp.quick, { duration_s: 1, warmup_s: 1 });
  // Saved again, it is format 2, and reads back the same.
  const again = parseNotebookText(canonicalText(v.notebook));
  assert.ok(again.ok);
  assert.deepEqual(again.notebook, v.notebook);
  // Errors in a format-1 document name its own paths.
  const broken = JSON.parse(text);
  broken.cells[1].server.file_size = -1;
  const e = parseNotebookText(JSON.stringify(broken));
  assert.ok(!e.ok);
  assert.deepEqual(
    e.errors.map((x) => x.path),
    ['cells[1].server.file_size'],
  );
});

test('a version-1 bundle imports: revision text and hash kept, points in today’s shape, verified as recorded', () => {
  const store = new Store(':memory:');
  const file = join(LEGACY, 'legacy-v1.saiolab');
  const report = importBundle(store, file);
  assert.equal(report.runs_added, 1);
  assert.equal(report.revisions_added, 1);
  const nb = store.getNotebook(report.notebook.id)!;
  const rev = store.getRevision(nb.head_revision_id!)!;
  const bundled = JSON.parse(
    unpack(file)
      .find((m) => m.path === 'notebook.json')!
      .data.toString(),
  ).revisions[0];
  assert.equal(store.revisionContent(rev.id), bundled.content, 'the revision is stored exactly as written');
  assert.equal(sha256(bundled.content), rev.content_sha256);
  assert.equal(loadRevision(store, rev.id).format, NOTEBOOK_FORMAT);

  const [run] = store.listRuns(nb.id);
  const points = store.listPoints(run!.id);
  assert.equal(points.length, 8);
  for (const p of points) {
    assert.equal(p.kind, 'measure');
    assert.equal(p.config, configKey({ workers: p.workers, connections: p.connections, rate: null }));
    assert.equal(p.rate_per_s, null);
    assert.equal(p.offered_per_s, null);
    assert.deepEqual(p.warnings, []);
    assert.equal(p.verified, true);
    assert.equal(p.load?.driver, 'wrk');
    assert.equal(p.load?.loop, 'closed');
    assert.equal(p.load?.requests_per_s, p.requests_per_s);
    assert.equal(p.load?.latency_us?.p99, p.latency_p99_us);
    assert.equal(p.load?.histogram, null);
    assert.equal(p.verification?.protocol, 'http');
    assert.ok((p.verification?.responses_checked ?? 0) > 0);
    assert.equal(p.verification?.after?.ok, true);
    assert.equal(p.verification?.after?.found, p.verification?.after?.expected);
  }
  assert.deepEqual([...new Set(points.map((p) => p.config))], ['w=1 c=10 closed', 'w=1 c=20 closed', 'w=2 c=10 closed', 'w=2 c=20 closed']);

  // Exported again it is a version-2 bundle, and a fresh store gets the very same records.
  const out = join(dir, 'again.saiolab');
  exportBundle(store, nb.id, out);
  assert.equal(JSON.parse(unpack(out)[0]!.data.toString()).version, 2);
  const other = new Store(':memory:');
  importBundle(other, out);
  assert.deepEqual(snapshot(other, nb.id), snapshot(store, nb.id));
  // And importing the old bundle over it adds nothing: same ids.
  assert.equal(importBundle(other, file).runs_added, 0);
});

test('a schema-1 database migrates to schema 2 and holds exactly what the version-1 bundle of it gives', () => {
  const path = join(dir, 'legacy.db');
  const raw = new Database(path);
  raw.exec(readFileSync(join(LEGACY, 'legacy-v1-db.sql'), 'utf8'));
  raw.pragma('user_version = 1');
  raw.close();
  const migrated = new Store(path);
  assert.equal(migrated.db.pragma('user_version', { simple: true }), 4);
  const [nb] = migrated.listNotebooks();
  const [run] = migrated.listRuns(nb!.id);
  const fromDb = migrated.listPoints(run!.id).map(({ id: _id, ...p }) => p);
  const imported = new Store(':memory:');
  importBundle(imported, join(LEGACY, 'legacy-v1.saiolab'));
  const fromBundle = imported.listPoints(run!.id).map(({ id: _id, ...p }) => p);
  assert.equal(fromDb.length, 8);
  assert.deepEqual(fromDb, fromBundle);
  // The old run still compares with a new one, configuration by configuration.
  const rows = summarizePoints(fromDb.map((p, i) => ({ ...p, id: i })));
  assert.equal(rows.length, 8, 'two backends × four configurations');
  const old = { run: run!, points: fromDb.map((p, i) => ({ ...p, id: i })) };
  const g = gateCell(old, old, { threshold: 0.1 }).result;
  assert.equal(g.cases.length, 16, 'requests/s and p50 of two backends × four configurations (no CPU measured then)');
  assert.ok(g.passed && g.cases.every((x) => x.status === 'pass' && x.comparison?.ratio === 1));
  migrated.close();
});

test('a bundle that calls itself version 1 but holds version-2 runs is refused, naming what is wrong', () => {
  const store = new Store(':memory:');
  importBundle(store, join(LEGACY, 'legacy-v1.saiolab'));
  const nb = store.listNotebooks()[0]!;
  const v2 = join(dir, 'v2.saiolab');
  exportBundle(store, nb.id, v2);
  const members = editJson(unpack(v2), 'manifest.json', (m) => (m.version = 1));
  const bad = repack(join(dir, 'mislabelled.saiolab'), members);
  assert.throws(() => importBundle(new Store(':memory:'), bad), /runs\/[0-9a-f-]+\.json is not valid: points\[0\]\.verification\.sha256_expected: .*the bundle is damaged or not from saio-lab/);
});
