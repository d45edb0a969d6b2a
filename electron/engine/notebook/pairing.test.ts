// Format 2: server, protocol and driver must agree (refused by path when they do not), each
// driver's own rules apply only to cells that use it, and the rate axis needs an open-loop driver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneCellNotebook } from './fixture';
import { validateNotebook, type NotebookError } from './validate';

const nb = (cell: Record<string, unknown>) => oneCellNotebook(cell, 'pairing');

function errorsOf(cell: Record<string, unknown>): NotebookError[] {
  const v = validateNotebook(nb(cell));
  return v.ok ? [] : v.errors;
}

const redis = { server: { kind: 'redis' }, protocol: { kind: 'redis' } };

test('each server with its protocol and saio-load is valid, with defaults filled in', () => {
  for (const [server, protocol] of [
    ['nginx', { kind: 'http', file_size: 10 }],
    ['lighttpd', { kind: 'http', file_size: 10, keep_alive: false }],
    ['redis', { kind: 'redis' }],
    ['memcached', { kind: 'memcached', workload: 'mixed', get_fraction: 0.5 }],
  ] as const) {
    const v = validateNotebook(nb({ server: { kind: server }, protocol }));
    assert.ok(v.ok, `${server}: ${JSON.stringify(!v.ok && v.errors)}`);
  }
  const v = validateNotebook(nb(redis));
  assert.ok(v.ok && v.notebook.cells[0]?.type === 'experiment');
  const cell = v.ok && v.notebook.cells[0]?.type === 'experiment' ? v.notebook.cells[0] : null;
  assert.deepEqual(cell?.protocol, { kind: 'redis', workload: 'get', get_fraction: 0.9, keys: 10_000, key_size: 16, value_size: 64 });
  assert.deepEqual(cell?.driver, { kind: 'saio-load', threads: 1, arrivals: 'poisson', depth: 4, pipeline: 1, timeout_s: 2 });
});

test('a protocol the server does not speak is refused at protocol.kind', () => {
  assert.deepEqual(errorsOf({ server: { kind: 'redis' } }), [{ path: 'cells[0].protocol.kind', message: 'expected "redis" (the protocol redis speaks), found "http"' }]);
  assert.deepEqual(errorsOf({ server: { kind: 'nginx' }, protocol: { kind: 'memcached' } }), [
    { path: 'cells[0].protocol.kind', message: 'expected "http" (the protocol nginx speaks), found "memcached"' },
  ]);
});

test('a driver that does not speak the server’s protocol is refused at driver.kind', () => {
  assert.deepEqual(errorsOf({ ...redis, driver: { kind: 'wrk' } }), [
    { path: 'cells[0].driver.kind', message: 'expected a driver that speaks redis (as redis does), found "wrk", which speaks http only' },
  ]);
});

test('protocol and driver settings are checked by their own schemas', () => {
  assert.deepEqual(errorsOf({ protocol: { kind: 'http', file_size: 10, workload: 'get' } }), [{ path: 'cells[0].protocol', message: 'unknown field "workload"' }]);
  assert.deepEqual(errorsOf({ ...redis, protocol: { kind: 'redis', key_size: 4 } }), [{ path: 'cells[0].protocol.key_size', message: 'expected a number ≥ 8, found number 4' }]);
  assert.deepEqual(errorsOf({ server: { kind: 'memcached' }, protocol: { kind: 'memcached', key_size: 300 } }), [
    { path: 'cells[0].protocol.key_size', message: 'expected a number ≤ 250, found number 300' },
  ]);
  assert.deepEqual(errorsOf({ driver: { kind: 'saio-load', verify: 'all' } }), [{ path: 'cells[0].driver', message: 'unknown field "verify"' }]);
  assert.deepEqual(errorsOf({ driver: { kind: 'wrk', depth: 2 } }), [{ path: 'cells[0].driver', message: 'unknown field "depth"' }]);
  assert.deepEqual(errorsOf({ driver: { kind: 'ab' } }), [{ path: 'cells[0].driver.kind', message: 'expected "wrk", "saio-load", found "ab"' }]);
  assert.deepEqual(errorsOf({ driver: { kind: 'saio-load', arrivals: 'bursty' } }), [{ path: 'cells[0].driver.arrivals', message: 'expected "poisson" or "uniform", found "bursty"' }]);
});

test('saio-load gives each connection keys of its own: fewer keys than connections is refused', () => {
  assert.deepEqual(errorsOf({ ...redis, protocol: { kind: 'redis', keys: 20 }, sweep: { connections: [10, 50] } }), [
    { path: 'cells[0].protocol.keys', message: 'expected at least as many keys as connections (50: saio-load gives each connection keys of its own), found 20' },
  ]);
  assert.deepEqual(errorsOf({ ...redis, protocol: { kind: 'redis', value_size: 8 } }), [{ path: 'cells[0].protocol.value_size', message: 'expected a number ≥ 16, found number 8' }]);
});

test('wrk’s rules belong to wrk: whole seconds and connections divisible by threads, only when wrk runs', () => {
  const fractional = { duration_s: 1.5, warmup_s: 0.5, quick: { duration_s: 0.5, warmup_s: 0 }, sweep: { connections: [10, 15] } };
  assert.deepEqual(errorsOf({ ...fractional, driver: { kind: 'wrk', threads: 2 } }), [
    { path: 'cells[0].sweep.connections[1]', message: 'expected a multiple of driver.threads (2), found 15' },
    { path: 'cells[0].duration_s', message: 'expected whole seconds with driver wrk (its -d takes no fractions), found 1.5' },
    { path: 'cells[0].warmup_s', message: 'expected whole seconds with driver wrk (its -d takes no fractions), found 0.5' },
    { path: 'cells[0].quick.duration_s', message: 'expected whole seconds with driver wrk (its -d takes no fractions), found 0.5' },
  ]);
  assert.deepEqual(errorsOf({ ...fractional, driver: { kind: 'saio-load', threads: 2 } }), [], 'saio-load takes fractions and any count ≥ threads');
  assert.deepEqual(errorsOf({ sweep: { connections: [1, 4] }, driver: { kind: 'saio-load', threads: 2 } }), [
    { path: 'cells[0].sweep.connections[0]', message: 'expected at least driver.threads (2) connections (each thread drives its own), found 1' },
  ]);
});

test('the rate axis: absolute rates or fractions of capacity, with an open-loop driver only', () => {
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: [1000, 5000] } }), []);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: { of_capacity: [0.1, 0.5, 0.95], probe_s: 1 } } }), []);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: [1000, -5] } }), [{ path: 'cells[0].sweep.rate[1]', message: 'expected a number > 0, found number -5' }]);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: { of_capacity: [0.5, 3] } } }), [{ path: 'cells[0].sweep.rate.of_capacity[1]', message: 'expected a number ≤ 2, found number 3' }]);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: { of_capacity: [] } } }), [{ path: 'cells[0].sweep.rate.of_capacity', message: 'expected at least 1 item(s), found 0' }]);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: { fraction: [0.5] } } }), [
    { path: 'cells[0].sweep.rate.of_capacity', message: 'expected an array, found nothing' },
    { path: 'cells[0].sweep.rate', message: 'unknown field "fraction"' },
  ]);
  assert.deepEqual(errorsOf({ sweep: { connections: [10], rate: 'fast' } }), [{ path: 'cells[0].sweep.rate', message: 'matches none of the allowed shapes (found "fast")' }]);
  assert.deepEqual(errorsOf({ driver: { kind: 'wrk' }, duration_s: 1, warmup_s: 1, sweep: { connections: [10], rate: [1000] } }), [
    { path: 'cells[0].sweep.rate', message: 'expected no rate sweep with driver "wrk" (it is closed loop only; "saio-load" offers load at a fixed rate)' },
  ]);
});

test('plots: x is a swept axis or a metric, y one metric or several', () => {
  const withPlot = (plot: Record<string, unknown>) => {
    const doc = nb({}) as { cells: unknown[] };
    doc.cells.push({ id: 'p', type: 'plot', experiment: 'e', x: 'requests_per_s', y: 'latency_p99_us', ...plot });
    return validateNotebook(doc);
  };
  assert.ok(withPlot({ y: ['latency_p99_us', 'latency_p999_us'] }).ok);
  assert.ok(withPlot({ x: 'rate', series: 'rate' }).ok);
  assert.ok(withPlot({ y: 'service_p99_us' }).ok);
  const bad = withPlot({ y: ['latency_p99_us', 'p42'] });
  assert.ok(!bad.ok && bad.errors[0]?.path === 'cells[1].y[1]', JSON.stringify(bad));
  const one = withPlot({ y: 'p42' });
  assert.ok(!one.ok && one.errors[0]?.path === 'cells[1].y' && /^expected "requests_per_s" or .* found "p42"$/.test(one.errors[0].message), JSON.stringify(one));
  const none = withPlot({ y: [] });
  assert.ok(!none.ok && none.errors[0]?.path === 'cells[1].y', JSON.stringify(none));
});
