// The API boundary: every method refuses bad input with JSON paths, unknown methods are refused,
// valid calls work against a real database, engine errors map to ApiError codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fillSource } from '../engine/bundle/fixture';
import { Lab } from '../engine/lab';
import { inputs, methods, type Method } from './contract';
import { createHandlers, dispatch, type Handlers } from './handlers';
import { JobManager } from './jobs';

const dir = mkdtempSync(join(tmpdir(), 'saio-api-'));
const lab = new Lab(join(dir, 'lab.db'));
const handlers = createHandlers(lab, new JobManager(lab));
after(() => {
  lab.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ok<M extends Method>(method: M, input: unknown) {
  const r = await dispatch(handlers, method, input);
  assert.ok(r.ok, `${method}: ${JSON.stringify(!r.ok && r.error)}`);
  return r.value as never as import('./contract').Outputs[M];
}

async function err(method: string, input: unknown) {
  const r = await dispatch(handlers, method, input);
  assert.equal(r.ok, false, `${method} should fail`);
  return (r as { ok: false; error: import('./contract').ApiError }).error;
}

/** For each method: one input that breaks its schema, and the JSON path the error must name. */
const bad: Record<Method, [unknown, string]> = {
  'notebooks.list': [{ extra: 1 }, '$'],
  'notebooks.get': [{ ref: 'a', rev: 'x' }, 'rev'],
  'notebooks.create': [{ name: '' }, 'name'],
  'notebooks.validate': [{ content: {}, more: true }, '$'],
  'notebooks.save': [{ ref: 'a', content: {}, message: 7 }, 'message'],
  'notebooks.history': [{ ref: 5 }, 'ref'],
  'notebooks.diff': [{ ref: 'a' }, 'from'],
  'notebooks.restore': [{ ref: 'a', rev: '' }, 'rev'],
  'experiments.shipped': [[], '$'],
  'runs.list': [{}, 'ref'],
  'runs.get': [{ run: 'ab' }, 'run'],
  'runs.artifacts': [{ run: null }, 'run'],
  'runs.artifact': [{ id: 1.5 }, 'id'],
  'runs.start': [{ ref: 'a', cells: ['x', 3] }, 'cells[1]'],
  'runs.cancel': [{ job: '' }, 'job'],
  'runs.jobs': [null, '$'],
  'runs.report': [{ ref: 'a', runs: [], gate: { threshold: 1 } }, 'gate.threshold'],
  'bundles.export': [{ ref: 'x'.repeat(201) }, 'ref'],
  'bundles.import': [{ data_base64: '' }, 'data_base64'],
};

test('every method refuses bad input, naming the JSON path', async () => {
  assert.deepEqual(Object.keys(bad).sort(), [...methods].sort(), 'the table covers every method');
  for (const m of methods) {
    const [input, path] = bad[m];
    const e = await err(m, input);
    assert.equal(e.code, 'invalid_input', m);
    assert.ok(
      e.errors?.some((x) => x.path === path),
      `${m}: ${JSON.stringify(e.errors)} should name ${path}`,
    );
    assert.match(e.message, new RegExp(`^${m.replace('.', '\\.')}: invalid input`));
    // A missing input is refused too.
    assert.equal((await err(m, undefined)).code, 'invalid_input', `${m} without input`);
  }
});

test('unknown methods are refused, including names inherited from Object.prototype', async () => {
  for (const name of ['nope', 'notebooks', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '']) {
    const e = await err(name, {});
    assert.equal(e.code, 'invalid_input');
    assert.match(e.message, /unknown method/);
  }
  assert.ok(Object.keys(inputs).length === methods.length);
});

test('valid calls against a real database: create, list, get, save, history, diff, restore', async () => {
  const shipped = await ok('experiments.shipped', {});
  assert.ok(shipped.some((s) => s.file === 'quickstart.json' && s.title.startsWith('Quickstart')));

  const created = await ok('notebooks.create', { name: 'qs', from: 'quickstart.json' });
  assert.equal(created.notebook.name, 'qs');
  const list = await ok('notebooks.list', {});
  assert.equal(list.length, 1);
  assert.equal(list[0]?.title.startsWith('Quickstart'), true);
  assert.equal(list[0]?.revisions, 1);
  assert.equal(list[0]?.runs, 0);
  assert.equal(list[0]?.last_run, null);

  const got = await ok('notebooks.get', { ref: 'qs' });
  assert.equal(got.revision.id, created.revision.id);
  const content = structuredClone(got.content) as { title: string; cells: { sweep?: { connections: number[] } }[] };

  // Invalid content is data for the editor, not an exception.
  const broken = structuredClone(content);
  broken.cells[1]!.sweep!.connections[1] = -5;
  const refused = await ok('notebooks.save', { ref: 'qs', content: broken, message: 'bad' });
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.errors.some((e) => e.path === 'cells[1].sweep.connections[1]'));
  const validation = await ok('notebooks.validate', { content: broken });
  assert.ok(!validation.ok && validation.errors[0]?.path === 'cells[1].sweep.connections[1]');
  assert.deepEqual(await ok('notebooks.validate', { content }), { ok: true });

  content.title = 'Changed title';
  const saved = await ok('notebooks.save', { ref: 'qs', content, message: 'retitle' });
  assert.ok(saved.ok && saved.created);
  const again = await ok('notebooks.save', { ref: 'qs', content, message: 'same' });
  assert.ok(again.ok && !again.created, 'saving the same content makes no revision');

  const hist = await ok('notebooks.history', { ref: 'qs' });
  assert.equal(hist.length, 2);
  const d = await ok('notebooks.diff', { ref: 'qs', from: created.revision.id.slice(0, 8) });
  assert.ok(d.changes.length > 0);
  const restored = await ok('notebooks.restore', { ref: 'qs', rev: created.revision.id });
  assert.equal(restored.created, true);
  assert.equal((await ok('notebooks.get', { ref: 'qs' })).content.title, got.content.title);

  const empty = await ok('notebooks.create', { name: 'empty' });
  assert.equal((await ok('notebooks.get', { ref: empty.notebook.id })).content.cells.length, 0);
  assert.deepEqual(await ok('runs.list', { ref: 'qs' }), []);
  assert.deepEqual(await ok('runs.jobs', {}), []);
});

test('bundles: export then import through the API, base64 both ways', async () => {
  const exported = await ok('bundles.export', { ref: 'qs' });
  assert.equal(exported.file_name, 'qs.saiolab');
  assert.equal(exported.revisions, 3);
  // Into another lab, under another name.
  const other = new Lab(join(dir, 'other.db'));
  try {
    const h2 = createHandlers(other, new JobManager(other));
    const imported = await dispatch(h2, 'bundles.import', { data_base64: exported.data_base64, as: 'qs-copy' });
    assert.ok(imported.ok, JSON.stringify(imported));
    const v = imported.value as import('./contract').Outputs['bundles.import'];
    assert.equal(v.notebook.name, 'qs-copy');
    assert.equal(v.revisions_added, 3);
    const listed = await dispatch(h2, 'notebooks.list', {});
    assert.ok(listed.ok && (listed.value as { name: string }[])[0]?.name === 'qs-copy');
  } finally {
    other.close();
  }
  // Into the same lab: nothing new, it is idempotent.
  const again = await ok('bundles.import', { data_base64: exported.data_base64 });
  assert.equal(again.revisions_added, 0);
  assert.equal(again.notebook.name, 'qs');
});

test('engine errors map to ApiError codes, with one line and no stack', async () => {
  assert.equal((await err('notebooks.get', { ref: 'no-such' })).code, 'not_found');
  assert.equal((await err('notebooks.diff', { ref: 'qs', from: 'ffffffff' })).code, 'not_found');
  assert.equal((await err('runs.get', { run: 'ffffffff' })).code, 'not_found');
  assert.equal((await err('runs.artifact', { id: 999999 })).code, 'not_found');
  assert.equal((await err('runs.cancel', { job: 'nope' })).code, 'not_found');
  assert.equal((await err('notebooks.create', { name: 'x', from: '../package.json' })).code, 'not_found');
  assert.equal((await err('runs.start', { ref: 'qs', cells: ['no-such-cell'] })).code, 'not_found');
  assert.equal((await err('runs.start', { ref: 'empty' })).code, 'invalid_input');

  const dup = await err('notebooks.create', { name: 'qs' });
  assert.equal(dup.code, 'conflict');
  assert.match(dup.message, /exists already/);
  assert.equal((await err('notebooks.create', { name: 'bad name!' })).code, 'invalid_input');

  const invalid = await err('notebooks.create', { name: 'n2', content: { format: 'saio-lab/notebook@1', title: '', cells: [] } });
  assert.equal(invalid.code, 'invalid_notebook');
  assert.deepEqual(
    invalid.errors?.map((e) => e.path),
    ['title'],
  );
  assert.ok(!invalid.message.includes('\n'));

  const bundle = await err('bundles.import', { data_base64: Buffer.from('not a bundle at all').toString('base64') });
  assert.equal(bundle.code, 'bad_bundle');
  // Said of the file the user picked (or "the bundle"), never of the handler's temporary copy.
  assert.match(bundle.message, /^the bundle\b/);
  const named = await err('bundles.import', { data_base64: Buffer.from('not a bundle at all').toString('base64'), file_name: '/home/me/picked.saiolab' });
  assert.match(named.message, /^\/home\/me\/picked\.saiolab\b/);
  assert.doesNotMatch(named.message, /import\.saiolab/);
  assert.equal((await err('bundles.import', { data_base64: 'not base64!' })).code, 'invalid_input');

  // Anything else: internal, one line, no stack — and the log hears the whole story.
  const throwing = {
    ...handlers,
    'notebooks.list': async () => {
      throw new TypeError('something broke\n    at secret (/home/x/file.js:1:1)');
    },
  } as Handlers;
  const logged: unknown[] = [];
  const r = await dispatch(throwing, 'notebooks.list', {}, (_m, e) => logged.push(e));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'internal');
  assert.equal(r.error.message, 'internal error (TypeError): something broke');
  assert.equal(logged.length, 1);
  const nonError = await dispatch({ ...handlers, 'runs.jobs': async () => Promise.reject('plain string') } as Handlers, 'runs.jobs', {});
  assert.ok(!nonError.ok && nonError.error.code === 'internal');
});

test('runs.report: the runs given, in order, with their statistics; the gate finds the comparable earlier run outside them; a run of another notebook is refused', async () => {
  const other = new Lab(join(dir, 'report.db'));
  try {
    const { notebook } = fillSource(other.store);
    const h = createHandlers(other, new JobManager(other));
    const call = async <M extends Method>(method: M, input: unknown) => {
      const r = await dispatch(h, method, input);
      assert.ok(r.ok, `${method}: ${JSON.stringify(!r.ok && r.error)}`);
      return r.value as never as import('./contract').Outputs[M];
    };
    const plain = await call('runs.report', { ref: notebook.name, runs: ['run-000000000003', 'run-000000000001'] });
    assert.deepEqual(
      plain.runs.map((r) => r.run.id),
      ['run-000000000003', 'run-000000000001'],
    );
    assert.equal(plain.notebook.id, notebook.id);
    assert.equal(plain.notebook.revision_id, notebook.head_revision_id, 'the notebook at its head');
    assert.equal(plain.format, 'saio-lab/results@3');
    assert.equal(plain.quick, false);
    assert.ok(!('elapsed_s' in plain), 'the wall time is the caller’s');
    assert.deepEqual(
      plain.noise.map((n) => n.run_id),
      ['run-000000000003', 'run-000000000001'],
    );
    assert.ok(plain.summaries.some((s) => s.run_id === 'run-000000000001' && s.metric === 'requests_per_s'));
    assert.deepEqual(plain.gates, []);

    // Run 3 against run 1 (full, ok, same machine, earlier); run 1 has nothing before it.
    const gated = await call('runs.report', { ref: notebook.id, runs: ['run-000000000003', 'run-000000000001'], gate: { threshold: 0.1 } });
    assert.deepEqual(
      gated.gates.map((g) => [g.cell_id, g.run_id, g.previous_run]),
      [
        ['exp', 'run-000000000003', 'run-000000000001'],
        ['exp', 'run-000000000001', null],
      ],
    );
    assert.match(gated.gates[1]!.result.message, /gate passed without comparing: no earlier run of cell "exp"/);
    assert.deepEqual((await call('runs.report', { ref: notebook.id, runs: [] })).runs, []);

    const nope = await dispatch(h, 'runs.report', { ref: notebook.id, runs: ['ffffffff'] });
    assert.ok(!nope.ok && nope.error.code === 'not_found', JSON.stringify(nope));
    await call('notebooks.create', { name: 'elsewhere', from: 'quickstart.json' });
    const foreign = await dispatch(h, 'runs.report', { ref: 'elsewhere', runs: ['run-000000000001'] });
    assert.ok(!foreign.ok && foreign.error.code === 'not_found' && /notebook "elsewhere" has no run "run-000000000001"/.test(foreign.error.message), JSON.stringify(foreign));
  } finally {
    other.close();
  }
});
