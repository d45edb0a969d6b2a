import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createNotebook } from '../notebooks';
import { Store } from '../store/store';
import { BundleError } from './format';
import { exportedSource, notebookDoc, snapshot } from './fixture';
import { importBundle } from './import';

const dir = mkdtempSync(join(tmpdir(), 'saio-bundle-clash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'clash.saiolab');
const { src, notebook } = exportedSource(file);

const isBundleError = (re: RegExp) => (e: unknown) => e instanceof BundleError && re.test(e.message);

test('another notebook with the same name: refused with a pointer to --as, then imported under that name', () => {
  const dst = new Store(':memory:');
  const { notebook: mine } = createNotebook(dst, 'static-files', notebookDoc());
  assert.notEqual(mine.id, notebook.id);
  const before = dst.dumpTables();
  assert.throws(() => importBundle(dst, file), isBundleError(/a different notebook named "static-files" is already in this database .*import it under another name with --as NEWNAME/));
  assert.deepEqual(dst.dumpTables(), before);

  const r = importBundle(dst, file, { as: 'other' });
  assert.deepEqual([r.notebook, r.notebook_created, r.revisions_added, r.runs_added], [{ id: notebook.id, name: 'other' }, true, 3, 2]);
  assert.equal(dst.getNotebookByName('static-files')?.id, mine.id);
  const expected = snapshot(src, notebook.id);
  assert.deepEqual(snapshot(dst, notebook.id), { ...expected, notebook: { ...expected.notebook, name: 'other' } });

  // The notebook is known by its id from now on, whatever it is called here.
  const again = importBundle(dst, file);
  assert.deepEqual([again.notebook.name, again.revisions_added, again.runs_added, again.notebook_created], ['other', 0, 0, false]);
});

test('--as must itself be a free, valid name', () => {
  const dst = new Store(':memory:');
  createNotebook(dst, 'static-files', notebookDoc());
  createNotebook(dst, 'taken', notebookDoc(), 'Create another'); // its own message: revision ids do not include the notebook
  const before = dst.dumpTables();
  assert.throws(() => importBundle(dst, file, { as: 'taken' }), isBundleError(/a notebook named "taken" is already in this database; choose another name with --as NEWNAME/));
  assert.throws(() => importBundle(dst, file, { as: 'no spaces/here' }), isBundleError(/"no spaces\/here" is not a notebook name/));
  assert.deepEqual(dst.dumpTables(), before);
});
