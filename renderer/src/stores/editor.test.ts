// The editor store: open, edit with instant and engine validation, save.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { NotebookError } from '../../../electron/engine/notebook/validate';
import { installFake, quickstart, tick, type Fake } from '../testing/fake-client';
import { isDirty, useEditor } from './editor';
import { autoMessage, getIn, setIn } from './draft';

const nbRecord = { id: 'nb1', name: 'qs', created_at: '2026-01-01T00:00:00Z', head_revision_id: 'r1' };
const rev = (id: string, message = 'm') => ({ id, notebook_id: 'nb1', parent_id: null, content_sha256: 'x', message, created_at: '2026-01-01T00:00:00Z' });

let fake: Fake;
let head = quickstart();
beforeEach(() => {
  fake = installFake();
  head = quickstart();
  fake.on('notebooks.get', () => ({ notebook: nbRecord, revision: rev('r1'), content: head }));
  useEditor.getState().close();
});

test('opening loads the head revision as the saved content and the draft', async () => {
  await useEditor.getState().open('qs');
  const s = useEditor.getState();
  assert.equal(s.notebook?.id, 'nb1');
  assert.deepEqual(s.draft, head);
  assert.equal(isDirty(s), false);
});

test('an edit is validated at once by the schema, then by the engine, whose answer wins', async () => {
  let answer: NotebookError[] = [];
  fake.on('notebooks.validate', async () => {
    await tick(5);
    return answer.length ? { ok: false as const, errors: answer } : { ok: true as const };
  });
  await useEditor.getState().open('qs');
  useEditor.getState().setField(['cells', 1, 'sweep', 'connections'], [10, -5]);
  let s = useEditor.getState();
  assert.equal(isDirty(s), true);
  assert.equal(s.errorsFrom, 'local');
  assert.deepEqual(
    s.errors.map((e) => e.path),
    ['cells[1].sweep.connections[1]'],
  );
  answer = [{ path: 'cells[1].server.kind', message: 'expected one of "nginx"' }];
  await useEditor.getState().validateNow();
  s = useEditor.getState();
  assert.equal(s.errorsFrom, 'engine');
  assert.deepEqual(s.errors, answer);
});

test('a stale engine answer (the draft changed meanwhile) is dropped', async () => {
  let release!: () => void;
  fake.on('notebooks.validate', () => new Promise((r) => (release = () => r({ ok: false as const, errors: [{ path: 'title', message: 'old' }] }))));
  await useEditor.getState().open('qs');
  useEditor.getState().setField(['title'], 'A');
  const pending = useEditor.getState().validateNow();
  useEditor.getState().setField(['title'], 'AB');
  release();
  await pending;
  assert.equal(useEditor.getState().errorsFrom, 'local');
  assert.deepEqual(useEditor.getState().errors, []);
});

test('save sends the draft with a message; refused content brings its errors back', async () => {
  fake.on('notebooks.validate', () => ({ ok: true as const }));
  const errors = [{ path: 'cells[1].repeats', message: 'expected a number ≥ 1, found number 0' }];
  fake.on('notebooks.save', () => ({ ok: false as const, errors }));
  await useEditor.getState().open('qs');
  useEditor.getState().setField(['cells', 1, 'repeats'], 0);
  assert.equal(await useEditor.getState().save('try'), null);
  assert.deepEqual(useEditor.getState().errors, errors);
  assert.equal(isDirty(useEditor.getState()), true);
});

test('a successful save reloads the head and leaves nothing dirty; no message gets an automatic one', async () => {
  fake.on('notebooks.validate', () => ({ ok: true as const }));
  fake.on('notebooks.save', (input) => {
    head = input.content as typeof head;
    return { ok: true as const, revision: rev('r2', input.message), created: true };
  });
  fake.on('notebooks.get', () => ({ notebook: { ...nbRecord, head_revision_id: 'r2' }, revision: rev('r2'), content: head }));
  await useEditor.getState().open('qs');
  useEditor.getState().setField(['cells', 1, 'repeats'], 1);
  const r = await useEditor.getState().save();
  assert.equal(r?.id, 'r2');
  const saveCall = fake.calls.find((c) => c.method === 'notebooks.save')!.input as { message: string };
  assert.equal(saveCall.message, 'Edit nginx-keepalive');
  assert.equal(isDirty(useEditor.getState()), false);
  assert.equal(useEditor.getState().revision?.id, 'r2');
});

test('cells can be added, moved and removed', async () => {
  await useEditor.getState().open('qs');
  const id = useEditor.getState().addCell('plot', 1);
  assert.equal(useEditor.getState().draft!.cells[1]!.id, id);
  assert.equal((useEditor.getState().draft!.cells[1] as { experiment: string }).experiment, 'nginx-keepalive');
  useEditor.getState().moveCell(1, 1);
  assert.equal(useEditor.getState().draft!.cells[2]!.id, id);
  useEditor.getState().removeCell(2);
  assert.deepEqual(
    useEditor.getState().draft!.cells.map((c) => c.id),
    head.cells.map((c) => c.id),
  );
});

test('draft helpers update by path without touching the original', () => {
  const nb = quickstart();
  const next = setIn(nb, ['cells', 1, 'sweep', 'workers'], [1, 2]);
  assert.deepEqual(getIn(next, ['cells', 1, 'sweep', 'workers']), [1, 2]);
  assert.equal(getIn(nb, ['cells', 1, 'sweep', 'workers']), undefined);
  const removed = setIn(next, ['cells', 1, 'sweep', 'workers'], undefined);
  assert.ok(!('workers' in (getIn(removed, ['cells', 1, 'sweep']) as object)));
  const added = { ...nb, cells: [...nb.cells, { id: 'n2', type: 'markdown' as const, source: '' }] };
  assert.equal(autoMessage(nb, added), 'Add n2');
  assert.equal(autoMessage(nb, { ...nb, title: 'x' }), 'Title');
});
