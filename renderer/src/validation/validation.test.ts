// Client-side validation and the mapping of error paths to form fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateNotebook } from '../../../electron/engine/notebook/validate';
import { quickstart } from '../testing/fake-client';
import { formatNumberList, parseNumberListText, parseNumberText, sameListText } from './fields';
import { validateLocal } from './local';
import { cellIndexOf, errorsAt, errorsWithin, isWithin, jsonPath, listFieldMessages, parsePath, unclaimedErrors } from './paths';

test('paths parse and print like the engine prints them', () => {
  for (const p of ['cells[1].sweep.connections[0]', 'title', 'cells[12].server.kind', 'cells']) {
    assert.equal(jsonPath(parsePath(p)), p);
  }
  assert.deepEqual(parsePath('cells[1].sweep.connections[0]'), ['cells', 1, 'sweep', 'connections', 0]);
  assert.equal(jsonPath([]), '$');
  assert.deepEqual(parsePath('$'), []);
  assert.equal(cellIndexOf('cells[3].x'), 3);
  assert.equal(cellIndexOf('title'), null);
});

test('a field owns its path and what lies inside it, not a sibling with the same prefix', () => {
  assert.ok(isWithin('cells[1].sweep', 'cells[1]'));
  assert.ok(isWithin('cells[1][0]', 'cells[1]'));
  assert.ok(!isWithin('cells[10].sweep', 'cells[1]'));
  assert.ok(!isWithin('cells[1].sweepy', 'cells[1].sweep'));
  assert.ok(isWithin('anything', '$'));
});

test('list fields show per-item errors with the item position and value', () => {
  const errors = [
    { path: 'cells[1].sweep.connections[1]', message: 'expected a number ≥ 1, found number -5' },
    { path: 'cells[1].sweep.connections', message: 'expected at least 1 item(s)' },
    { path: 'cells[1].sweep.workers[0]', message: 'other field' },
  ];
  assert.deepEqual(listFieldMessages(errors, 'cells[1].sweep.connections', [10, -5]), ['item 2 (-5): expected a number ≥ 1, found number -5', 'expected at least 1 item(s)']);
  assert.equal(errorsAt(errors, 'cells[1].sweep.connections').length, 1);
  assert.equal(errorsWithin(errors, 'cells[1].sweep').length, 3);
});

test('errors no field claims are kept for the cell header, none dropped', () => {
  const errors = [
    { path: 'cells[1].sweep.connections[0]', message: 'a' },
    { path: 'cells[1]', message: 'unknown field "colour"' },
    { path: 'cells[1].pinning.gpu', message: 'b' },
    { path: 'cells[2].x', message: 'c' },
  ];
  const left = unclaimedErrors(errors, 'cells[1]', ['cells[1].sweep.connections', 'cells[1].pinning.server']);
  assert.deepEqual(
    left.map((e) => e.path),
    ['cells[1]', 'cells[1].pinning.gpu'],
  );
});

test('local validation finds what the engine finds, at the same paths, with the same words', () => {
  const broken: ((nb: any) => void)[] = [
    (nb) => (nb.cells[1].sweep.connections = [10, -5]),
    (nb) => (nb.cells[1].sweep.connections = [10, '5x']),
    (nb) => (nb.cells[1].repeats = 0),
    (nb) => (nb.cells[1].duration_s = 1.5),
    (nb) => {
      nb.cells[1].driver.threads = 3;
      nb.cells[1].sweep.connections = [10, 30];
    },
    (nb) => (nb.cells[1].colour = 'red'),
    (nb) => (nb.cells[2].experiment = 'nope'),
    (nb) => (nb.cells[3].id = 'throughput'),
    (nb) => (nb.cells[1].sweep.connections = []),
    (nb) => (nb.title = ''),
    (nb) => (nb.cells[1].driver.verify = 'some'),
    // Format 2: pairings, per-driver settings and rules, the rate axis.
    (nb) => (nb.cells[1].server.kind = 'redis'),
    (nb) => (nb.cells[1].protocol = { kind: 'memcached' }),
    (nb) => (nb.cells[1].sweep.rate = [1000, 5000]),
    (nb) => (nb.cells[1].driver = { kind: 'saio-load', verify: 'all' }),
    (nb) => {
      nb.cells[1].driver = { kind: 'saio-load' };
      nb.cells[1].sweep.rate = { of_capacity: [0.5, 3] };
    },
    (nb) => {
      nb.cells[1].driver = { kind: 'saio-load', threads: 20 };
      nb.cells[1].duration_s = 0.5;
    },
  ];
  for (const breakIt of broken) {
    const nb = structuredClone(quickstart()) as any;
    breakIt(nb);
    const engine = validateNotebook(nb);
    assert.equal(engine.ok, false);
    const local = validateLocal(nb);
    assert.deepEqual(local, (engine as { errors: unknown[] }).errors, JSON.stringify(local));
  }
  assert.deepEqual(validateLocal(quickstart()), []);
  assert.equal(validateLocal(null)[0]!.path, '$');
  assert.equal(validateLocal({ format: 'x' })[0]!.path, 'format');
});

test('the text a field holds becomes a number when it is one, and stays text otherwise', () => {
  assert.equal(parseNumberText(' 42 '), 42);
  assert.equal(parseNumberText('4O'), '4O');
  assert.equal(parseNumberText(''), '');
  assert.deepEqual(parseNumberListText('10, 50 100,,x'), [10, 50, 100, 'x']);
  assert.equal(formatNumberList([10, 50]), '10, 50');
  assert.ok(sameListText('10,50, ', [10, 50]));
  assert.ok(!sameListText('10', [10, 50]));
});
