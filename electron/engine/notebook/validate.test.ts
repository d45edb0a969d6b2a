import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../paths';
import { parseNotebookText, validateNotebook, type NotebookError } from './validate';

const quickstart = () => JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'quickstart.json'), 'utf8'));

function errorsOf(data: unknown): NotebookError[] {
  const v = validateNotebook(data);
  assert.equal(v.ok, false, 'expected the notebook to be rejected');
  return v.ok ? [] : v.errors;
}

test('the shipped quickstart notebook is valid and gets its defaults', () => {
  const v = validateNotebook(quickstart());
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const exp = v.notebook.cells.find((c) => c.type === 'experiment');
  assert.equal(exp?.type, 'experiment');
  if (exp?.type === 'experiment') assert.deepEqual(exp.sweep.connections, [10, 50, 100, 200]);
});

test('a wrong type is reported with its JSON path, what was expected and what was found', () => {
  const nb = quickstart();
  nb.cells[1].sweep.connections[2] = 'lots';
  assert.deepEqual(errorsOf(nb), [{ path: 'cells[1].sweep.connections[2]', message: 'expected a number, found "lots"' }]);
});

test('numbers out of range and fractional counts are named', () => {
  const nb = quickstart();
  nb.cells[1].repeats = 0;
  nb.cells[1].server.workers = 1.5;
  const errors = errorsOf(nb);
  assert.deepEqual(
    errors.map((e) => e.path).sort(),
    ['cells[1].repeats', 'cells[1].server.workers'],
  );
  assert.match(errors.find((e) => e.path === 'cells[1].repeats')?.message ?? '', /expected a number ≥ 1, found number 0/);
  assert.match(errors.find((e) => e.path === 'cells[1].server.workers')?.message ?? '', /whole number/);
});

test('unknown fields, unknown cell types and unknown servers are rejected by path', () => {
  const nb = quickstart();
  nb.cells[1].server.colour = 'blue';
  assert.deepEqual(errorsOf(nb), [{ path: 'cells[1].server', message: 'unknown field "colour"' }]);

  const nb2 = quickstart();
  nb2.cells[0].type = 'python';
  assert.deepEqual(errorsOf(nb2), [{ path: 'cells[0].type', message: 'expected "markdown", "experiment", "plot", found "python"' }]);

  const nb3 = quickstart();
  nb3.cells[1].server.kind = 'apache';
  assert.deepEqual(errorsOf(nb3), [{ path: 'cells[1].server.kind', message: 'expected one of "nginx", "lighttpd", found "apache"' }]);

  const nb4 = quickstart();
  nb4.cells[1].backends = ['baseline', 'turbo'];
  assert.deepEqual(errorsOf(nb4), [{ path: 'cells[1].backends[1]', message: 'expected one of "baseline", "saio-sync", "saio-uring", found "turbo"' }]);
});

test('duplicate cell ids and plots of missing experiments are caught', () => {
  const nb = quickstart();
  nb.cells[2].id = 'intro';
  nb.cells[3].experiment = 'nope';
  const errors = errorsOf(nb);
  assert.deepEqual(errors.map((e) => e.path), ['cells[2].id', 'cells[3].experiment']);
  assert.match(errors[0]?.message ?? '', /unique cell id \(cells\[0\] already uses "intro"\)/);
  assert.match(errors[1]?.message ?? '', /the id of an experiment cell in this notebook \(found "nope"\)/);
});

test('a missing required field and a wrong format are reported', () => {
  const nb = quickstart();
  delete nb.cells[1].duration_s;
  assert.deepEqual(errorsOf(nb), [{ path: 'cells[1].duration_s', message: 'expected a number, found nothing' }]);
  assert.deepEqual(errorsOf({ ...quickstart(), format: 'other@9' }), [
    { path: 'format', message: 'expected "saio-lab/notebook@1", found "other@9"' },
  ]);
  assert.deepEqual(errorsOf([1, 2]), [{ path: '$', message: 'expected a notebook object, found an array' }]);
});

test('JSON syntax errors give line and column', () => {
  const v = parseNotebookText('{\n  "format": "saio-lab/notebook@1",\n  "title": oops\n}');
  assert.equal(v.ok, false);
  if (!v.ok) {
    assert.equal(v.errors[0]?.path, '$');
    assert.match(v.errors[0]?.message ?? '', /syntax error at line 3, column 12/);
  }
});

test('the syntax error offset points at the offending character', () => {
  for (const [text, at] of [
    ['{"a": [1, 2,, 3]}', 12],
    ['{"a": 1} x', 9],
    ['{"a" 1}', 5],
    ['{"a": "open', 11],
  ] as const) {
    const v = parseNotebookText(text);
    assert.equal(v.ok, false);
    const col = at + 1;
    if (!v.ok) assert.match(v.errors[0]?.message ?? '', new RegExp(`at line 1, column ${col} `), text);
  }
});
