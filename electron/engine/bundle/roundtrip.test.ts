import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createNotebook, loadRevision, saveRevision } from '../notebooks';
import { Store } from '../store/store';
import { exportBundle } from './export';
import { BundleError } from './format';
import { exportedSource, fillSource, insertOtherRun, notebookDoc, point, snapshot } from './fixture';
import { importBundle } from './import';
import { member, unpack } from './repack';

const dir = mkdtempSync(join(tmpdir(), 'saio-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('export writes manifest first, then every file it lists; running runs are left out', () => {
  const src = new Store(':memory:');
  const { notebook } = fillSource(src);
  const file = join(dir, 'layout.saiolab');
  const r = exportBundle(src, notebook.name, file);
  assert.deepEqual({ ...r, bytes: r.bytes > 0 }, { file, revisions: 3, runs: 2, artifacts: 5, bytes: true, skipped_running: ['run-000000000003'] });
  const members = unpack(file);
  assert.deepEqual(
    members.map((m) => m.path),
    [
      'manifest.json',
      'notebook.json',
      'runs/run-000000000001.json',
      'artifacts/run-000000000001/0',
      'artifacts/run-000000000001/1',
      'artifacts/run-000000000001/2',
      'artifacts/run-000000000001/3',
      'runs/run-000000000002.json',
      'artifacts/run-000000000002/0',
    ],
  );
  const manifest = JSON.parse(member(members, 'manifest.json').data.toString());
  assert.equal(manifest.format, 'saio-lab/bundle');
  assert.equal(manifest.version, 2);
  assert.match(manifest.producer, /^saio-lab \d+\.\d+\.\d+/);
  assert.deepEqual(manifest.notebook, { id: notebook.id, name: 'static-files' });
  assert.equal(manifest.files.length, members.length - 1);
  // No temporary file is left beside the bundle.
  assert.deepEqual(readdirSync(dir), ['layout.saiolab']);
  src.close();
});

test('round trip: an empty store gets the same notebook, revisions, runs, points, artifacts', () => {
  const file = join(dir, 'roundtrip.saiolab');
  const { src, notebook } = exportedSource(file);

  const dst = new Store(':memory:');
  const report = importBundle(dst, file);
  assert.deepEqual(report, {
    notebook: { id: notebook.id, name: 'static-files' },
    revisions_added: 3,
    revisions_present: 0,
    runs_added: 2,
    runs_present: 0,
    head_moved: false,
    notebook_created: true,
  });
  const expected = snapshot(src, notebook.id);
  const actual = snapshot(dst, notebook.id);
  assert.deepEqual(actual.notebook, expected.notebook);
  assert.deepEqual(actual.revisions, expected.revisions);
  assert.equal(actual.runs.length, 2);
  assert.deepEqual(actual, expected);
  // The binary artifact, zero bytes included, comes back byte for byte.
  const wrk = actual.runs[0]?.artifacts.find((a) => a.name === 'wrk.out');
  assert.equal(wrk?.content?.length, 1500);
  assert.equal(wrk?.point_seq, 1);
  assert.equal(actual.runs[0]?.artifacts.find((a) => a.name === 'stderr')?.content?.length, 0);
  assert.deepEqual(loadRevision(dst, notebook.head_revision_id as string), loadRevision(src, notebook.head_revision_id as string));
});

test('round trip into a store that already holds other points: points are matched by seq, not id', () => {
  const file = join(dir, 'busy.saiolab');
  const { src, notebook } = exportedSource(file);
  const dst = new Store(':memory:');
  const { notebook: other } = createNotebook(dst, 'other', notebookDoc());
  for (let i = 0; i < 3; i++) {
    insertOtherRun(dst, other, `local-${i}`, 2);
    dst.insertPoint(point(`local-${i}`, 0, 'ok'));
    dst.insertPoint(point(`local-${i}`, 1, 'failed'));
  }
  importBundle(dst, file);
  assert.deepEqual(snapshot(dst, notebook.id), snapshot(src, notebook.id));
});

test('a run id already held by another notebook is refused, and nothing is written', () => {
  const file = join(dir, 'taken.saiolab');
  exportedSource(file);
  const dst = new Store(':memory:');
  const { notebook: other } = createNotebook(dst, 'other', notebookDoc());
  insertOtherRun(dst, other, 'run-000000000002', 0);
  const before = dst.dumpTables();
  assert.throws(
    () => importBundle(dst, file),
    (e: unknown) => e instanceof BundleError && /run run-000000000002 is already in this database as part of another notebook/.test(e.message),
  );
  assert.deepEqual(dst.dumpTables(), before);
});

test('importing the same bundle twice changes nothing the second time', () => {
  const file = join(dir, 'twice.saiolab');
  const { notebook } = exportedSource(file);
  const dst = new Store(':memory:');
  importBundle(dst, file);
  const before = dst.dumpTables();
  const again = importBundle(dst, file);
  assert.deepEqual(again, {
    notebook: { id: notebook.id, name: 'static-files' },
    revisions_added: 0,
    revisions_present: 3,
    runs_added: 0,
    runs_present: 2,
    head_moved: false,
    notebook_created: false,
  });
  assert.deepEqual(dst.dumpTables(), before);
});

test('a later export adds only what is new, and the head moves only forward', () => {
  const src = new Store(':memory:');
  const { notebook } = fillSource(src);
  const v1 = join(dir, 'v1.saiolab');
  exportBundle(src, notebook.id, v1);
  const edited = loadRevision(src, notebook.head_revision_id as string);
  edited.title = 'Fourth revision';
  const r4 = saveRevision(src, notebook, edited, 'Retitle again').revision;
  const v2 = join(dir, 'v2.saiolab');
  exportBundle(src, notebook.id, v2);

  const ahead = new Store(':memory:');
  importBundle(ahead, v1);
  const r = importBundle(ahead, v2);
  assert.deepEqual([r.revisions_added, r.revisions_present, r.runs_added, r.runs_present, r.head_moved], [1, 3, 0, 2, true]);
  assert.equal(ahead.getNotebook(notebook.id)?.head_revision_id, r4.id);

  // A local edit the bundle does not know about: the bundle's revision is added, the head stays.
  const diverged = new Store(':memory:');
  importBundle(diverged, v1);
  const local = loadRevision(diverged, notebook.head_revision_id as string);
  local.title = 'A local edit';
  const mine = saveRevision(diverged, diverged.getNotebook(notebook.id)!, local, 'Local').revision;
  const d = importBundle(diverged, v2);
  assert.deepEqual([d.revisions_added, d.head_moved], [1, false]);
  assert.equal(diverged.getNotebook(notebook.id)?.head_revision_id, mine.id);
  assert.ok(diverged.getRevision(r4.id));

  // Importing an older bundle never moves the head back.
  const back = importBundle(ahead, v1);
  assert.deepEqual([back.revisions_added, back.head_moved], [0, false]);
  assert.equal(ahead.getNotebook(notebook.id)?.head_revision_id, r4.id);
});

test('export of an unknown notebook or to an unwritable place is a BundleError and leaves no file', () => {
  const src = new Store(':memory:');
  fillSource(src);
  assert.throws(
    () => exportBundle(src, 'nope', join(dir, 'nope.saiolab')),
    (e: unknown) => e instanceof BundleError && /no notebook "nope"/.test(e.message),
  );
  const missingDir = join(dir, 'no-such-dir', 'x.saiolab');
  assert.throws(
    () => exportBundle(src, 'static-files', missingDir),
    (e: unknown) => e instanceof BundleError && /cannot write .*ENOENT/.test(e.message),
  );
  assert.equal(existsSync(join(dir, 'nope.saiolab')), false);
});
