import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../paths';
import { errorsOf, quickstart, shippedNotebook } from './fixture';
import { parseNotebookText, validateNotebook } from './validate';

test('the shipped quickstart notebook is valid and gets its defaults', () => {
  const v = validateNotebook(quickstart());
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const exp = v.notebook.cells.find((c) => c.type === 'experiment');
  assert.equal(exp?.type, 'experiment');
  if (exp?.type === 'experiment') assert.deepEqual(exp.sweep.connections, [10, 50, 100, 200]);
});

test('every shipped notebook in experiments/ is valid', () => {
  const files = readdirSync(join(repoRoot(), 'experiments')).filter((f) => f.endsWith('.json'));
  assert.ok(files.includes('quickstart.json') && files.includes('saio-backends.json'), files.join(', '));
  for (const f of files) {
    const v = validateNotebook(shippedNotebook(f.replace(/\.json$/, '')));
    assert.ok(v.ok, `${f}: ${JSON.stringify(!v.ok && v.errors)}`);
  }
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
  assert.deepEqual(errors.map((e) => e.path).sort(), ['cells[1].repeats', 'cells[1].server.workers']);
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
  assert.deepEqual(errorsOf(nb3), [{ path: 'cells[1].server.kind', message: 'expected one of "nginx", "lighttpd", "redis", "memcached", found "apache"' }]);

  const nb4 = quickstart();
  nb4.cells[1].backends = ['baseline', 'turbo'];
  assert.deepEqual(errorsOf(nb4), [{ path: 'cells[1].backends[1]', message: 'expected one of "baseline", "saio-sync", "saio-uring", "saio-uring-fold", "saio-kmod", found "turbo"' }]);
});

test('duplicate cell ids and plots of missing experiments are caught', () => {
  const nb = quickstart();
  nb.cells[2].id = 'intro';
  nb.cells[3].experiment = 'nope';
  const errors = errorsOf(nb);
  assert.deepEqual(
    errors.map((e) => e.path),
    ['cells[2].id', 'cells[3].experiment'],
  );
  assert.match(errors[0]?.message ?? '', /unique cell id \(cells\[0\] already uses "intro"\)/);
  assert.match(errors[1]?.message ?? '', /the id of an experiment cell in this notebook \(found "nope"\)/);
});

test('a missing required field and a wrong format are reported', () => {
  const nb = quickstart();
  delete nb.cells[1].duration_s;
  assert.deepEqual(errorsOf(nb), [{ path: 'cells[1].duration_s', message: 'expected a number, found nothing' }]);
  assert.deepEqual(errorsOf({ ...quickstart(), format: 'other@9' }), [{ path: 'format', message: 'expected "saio-lab/notebook@2" (or the older "saio-lab/notebook@1"), found "other@9"' }]);
  assert.deepEqual(errorsOf([1, 2]), [{ path: '$', message: 'expected a notebook object, found an array' }]);
});

test('saio-kmod settings: absent is fine (existing notebooks stay valid), present gets its defaults', () => {
  const nb = quickstart();
  nb.cells[1].backends = ['baseline', 'saio-kmod'];
  const v = validateNotebook(nb);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  assert.equal(v.ok && v.notebook.cells[1]?.type === 'experiment' ? v.notebook.cells[1].kmod : 'not checked', undefined);

  nb.cells[1].kmod = { mode: 'worker', workers: 4, cpus: 'local', idle_us: 50, module_params: { default_idle_us: 300, other: 'a,b' } };
  const w = validateNotebook(nb);
  assert.ok(w.ok, JSON.stringify(!w.ok && w.errors));
  nb.cells[1].kmod = {};
  const d = validateNotebook(nb);
  assert.ok(d.ok && d.notebook.cells[1]?.type === 'experiment');
  if (d.ok && d.notebook.cells[1]?.type === 'experiment') assert.deepEqual(d.notebook.cells[1].kmod, { mode: 'enter', workers: 1, module_params: {} });
});

test('saio-kmod settings out of range or of the wrong shape are named by path', () => {
  const withKmod = (kmod: unknown) => {
    const nb = quickstart();
    nb.cells[1].kmod = kmod;
    return errorsOf(nb);
  };
  assert.deepEqual(withKmod({ mode: 'worker', workers: 65 }), [{ path: 'cells[1].kmod.workers', message: 'expected a number ≤ 64, found number 65' }]);
  assert.deepEqual(withKmod({ mode: 'worker', workers: 0 }), [{ path: 'cells[1].kmod.workers', message: 'expected a number ≥ 1, found number 0' }]);
  assert.deepEqual(withKmod({ mode: 'turbo' }), [{ path: 'cells[1].kmod.mode', message: 'expected "enter" or "worker", found "turbo"' }]);
  const cpusExpected = 'expected "local", "local+K" (K up to 1024) or a list of at most 64 CPU numbers';
  assert.deepEqual(withKmod({ mode: 'worker', cpus: 'near' }), [{ path: 'cells[1].kmod.cpus', message: `${cpusExpected}, found "near"` }]);
  assert.deepEqual(withKmod({ mode: 'worker', cpus: 'local+1025' }), [{ path: 'cells[1].kmod.cpus', message: `${cpusExpected}, found "local+1025"` }]);
  for (const ok of ['local', 'local+1', 'local-2', 'local+1024']) assert.ok(validateNotebook({ ...quickstart(), cells: [{ ...quickstart().cells[1], kmod: { mode: 'worker', cpus: ok } }] }).ok, ok);
  assert.deepEqual(withKmod({ mode: 'worker', workers: 4, rings: 2 }), [
    { path: 'cells[1].kmod.workers', message: 'expected at most kmod.rings (2) workers: each kernel worker serves at least one ring, found 4' },
  ]);
  assert.deepEqual(withKmod({ rings: 65 }), [{ path: 'cells[1].kmod.rings', message: 'expected a number ≤ 64, found number 65' }]);
  assert.deepEqual(withKmod({ mode: 'worker', cpus: [0, -1] }), [{ path: 'cells[1].kmod.cpus[1]', message: 'expected a number ≥ 0, found number -1' }]);
  assert.deepEqual(withKmod({ mode: 'worker', cpus: [] }), [{ path: 'cells[1].kmod.cpus', message: 'expected at least 1 item(s), found 0' }]);
  assert.deepEqual(withKmod({ mode: 'worker', idle_us: 2_000_000 }), [{ path: 'cells[1].kmod.idle_us', message: 'expected a number ≤ 1000000, found number 2000000' }]);
  assert.deepEqual(withKmod({ threads: 2 }), [{ path: 'cells[1].kmod', message: 'unknown field "threads"' }]);
});

test('saio-kmod settings that would do nothing in enter mode are refused', () => {
  const nb = quickstart();
  nb.cells[1].kmod = { workers: 2, cpus: [0], idle_us: 10 };
  assert.deepEqual(errorsOf(nb), [
    { path: 'cells[1].kmod.workers', message: 'expected 1 in enter mode (kernel workers exist only with "mode": "worker"), found 2' },
    { path: 'cells[1].kmod.cpus', message: 'expected no cpus in enter mode (they place kernel workers, which exist only with "mode": "worker")' },
    { path: 'cells[1].kmod.idle_us', message: 'expected no idle_us in enter mode (it is the spin time of kernel workers, which exist only with "mode": "worker")' },
  ]);
});

test('module parameters: names of a-z and "_", values a shell and insmod cannot misread', () => {
  const params = (module_params: unknown) => {
    const nb = quickstart();
    nb.cells[1].kmod = { module_params };
    return errorsOf(nb);
  };
  assert.deepEqual(params({ 'Idle-Us': 5 }), [{ path: 'cells[1].kmod.module_params.Idle-Us', message: 'expected a module parameter name (1 to 64 of a-z and "_"), found the name "Idle-Us"' }]);
  assert.deepEqual(params({ default_idle_us: '5; reboot' }), [
    { path: 'cells[1].kmod.module_params.default_idle_us', message: 'expected a value of 1 to 256 of 0-9, A-Z, a-z, "_", ",", ".", "-", found "5; reboot"' },
  ]);
  assert.deepEqual(params({ default_idle_us: -1 }), [{ path: 'cells[1].kmod.module_params.default_idle_us', message: 'expected a number ≥ 0, found number -1' }]);
  assert.deepEqual(params({ default_idle_us: true }), [
    { path: 'cells[1].kmod.module_params.default_idle_us', message: 'expected a whole number ≥ 0 or a string of 1 to 256 of 0-9, A-Z, a-z, "_", ",", ".", "-", found boolean true' },
  ]);
  assert.deepEqual(params([1]), [{ path: 'cells[1].kmod.module_params', message: 'expected an object, found an array' }]);
});

test('JSON syntax errors give line and column', () => {
  const v = parseNotebookText('{\n  "format": "saio-lab/notebook@1",\n  "title": oops\n}');
  assert.equal(v.ok, false);
  if (!v.ok) {
    assert.equal(v.errors[0]?.path, '$');
    assert.match(v.errors[0]?.message ?? '', /syntax error at line 3, column 12 \(near "oops\\n}"\): invalid symbol$/);
  }
});

test('the syntax error offset points at the offending token, in words', () => {
  for (const [text, at] of [
    ['{"a": [1, 2,, 3]}', 12],
    ['{"a": 1} x', 9],
    ['{"a" 1}', 5],
    ['{"a": "open', 6], // the string that never closes
  ] as const) {
    const v = parseNotebookText(text);
    assert.equal(v.ok, false);
    const col = at + 1;
    if (!v.ok) assert.match(v.errors[0]?.message ?? '', new RegExp(`at line 1, column ${col} `), text);
  }
});

test('repeats: a count or a policy {min, max, target_ci}; a policy that cannot work and a reference that is not run are named by path', () => {
  const nb = quickstart();
  nb.cells[1].repeats = { min: 3, max: 20, target_ci: 0.03 };
  nb.cells[1].reference = 'saio-uring';
  const v = validateNotebook(nb);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const cell = v.notebook.cells[1];
  assert.ok(cell?.type === 'experiment' && typeof cell.repeats === 'object' && cell.repeats.target_ci === 0.03);

  nb.cells[1].repeats = { min: 5, max: 4, target_ci: 0.03 };
  nb.cells[1].reference = 'saio-kmod';
  assert.deepEqual(errorsOf(nb), [
    { path: 'cells[1].reference', message: 'expected one of the cell\'s backends ("baseline", "saio-uring"), found "saio-kmod"' },
    { path: 'cells[1].repeats.max', message: 'expected a whole number ≥ repeats.min (got 4)' },
    { path: 'cells[1].repeats.max', message: "expected at least 6 with a target_ci (the median's 95% interval needs ≥ 6 repeats), found 4" },
  ]);
  delete nb.cells[1].reference;
  nb.cells[1].repeats = { min: 3, max: 10, target_ci: 3 };
  assert.deepEqual(errorsOf(nb)[0]?.path, 'cells[1].repeats.target_ci');
  nb.cells[1].repeats = { min: 3, max: 10, target: 0.03 };
  assert.match(JSON.stringify(errorsOf(nb)), /cells\[1\]\.repeats/);
});
