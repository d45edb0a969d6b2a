// The saio-load driver: its command lines for each protocol and loop, and its --json document
// read into a LoadResult (fixtures: the contract of issue 11, and captures of the real binary).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultDriverSettings } from '../catalog';
import { defaultProtocolSettings } from '../../protocols/catalog';
import { repoRoot } from '../../paths';
import { DriverOutputError, type LoadSpec } from '../types';
import { parseSaioLoadJson, saioLoadArgv, saioLoadDriver, saioLoadPath, secondsArg } from './saio-load';

const FIXTURES = join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const http: LoadSpec = {
  endpoint: { url: 'http://127.0.0.1:8080/file-1024.bin', host: '127.0.0.1', port: 8080 },
  protocol: { kind: 'http', file_size: 1024, keep_alive: true },
  dataset: { docRoot: '/d', fileName: 'file-1024.bin', bodyFile: '/d/file-1024.bin', sha256: 'x' },
  connections: 50,
  duration_s: 2,
  warmup_s: 0.5,
  rate_per_s: null,
  settings: defaultDriverSettings('saio-load', 2),
};
const valueAfter = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('saio-load argv', () => {
  test('closed loop over HTTP: threads, connections, durations, pipeline, keep-alive, the file every body must equal, JSON, URL last', () => {
    assert.deepEqual(saioLoadArgv(http), [
      saioLoadPath(),
      '-t', '2', '-c', '50', '-d', '2', '--warmup', '0.5',
      '--pipeline', '1',
      '--keepalive', '--expect-file', '/d/file-1024.bin',
      '--json',
      'http://127.0.0.1:8080/file-1024.bin',
    ]);
    assert.ok(saioLoadPath().endsWith(join('native', 'build', 'saio-load')));
  });

  test('open loop: the rate (whole requests/s), arrivals and depth instead of the pipeline', () => {
    const argv = saioLoadArgv({ ...http, rate_per_s: 12345.6, settings: { kind: 'saio-load', threads: 1, arrivals: 'uniform', depth: 4, pipeline: 3 } });
    assert.equal(valueAfter(argv, '-R'), '12346');
    assert.equal(valueAfter(argv, '--arrivals'), 'uniform');
    assert.equal(valueAfter(argv, '--depth'), '4');
    assert.ok(!argv.includes('--pipeline'));
  });

  test('Connection: close; threads never exceed connections', () => {
    const argv = saioLoadArgv({ ...http, protocol: { kind: 'http', file_size: 1, keep_alive: false }, connections: 1 });
    assert.ok(argv.includes('--close') && !argv.includes('--keepalive'));
    assert.equal(valueAfter(argv, '-t'), '1');
  });

  test('redis and memcached: the workload and key space; no expected file', () => {
    const kv: LoadSpec = { ...http, endpoint: { url: 'redis://127.0.0.1:6400', host: '127.0.0.1', port: 6400 }, protocol: { ...(defaultProtocolSettings('redis') as Extract<LoadSpec['protocol'], { kind: 'redis' }>), workload: 'mixed', get_fraction: 0.8 }, dataset: { docRoot: null, fileName: null, bodyFile: null, sha256: null } };
    const argv = saioLoadArgv(kv);
    assert.equal(valueAfter(argv, '--workload'), 'mixed:0.8');
    assert.equal(valueAfter(argv, '--keys'), '10000');
    assert.equal(valueAfter(argv, '--value-size'), '64');
    assert.ok(!argv.includes('--expect-file'));
    assert.equal(argv.at(-1), 'redis://127.0.0.1:6400');
    const mc = saioLoadArgv({ ...kv, endpoint: { url: 'memcached://127.0.0.1:1', host: '127.0.0.1', port: 1 }, protocol: defaultProtocolSettings('memcached') });
    assert.equal(valueAfter(mc, '--workload'), 'get');
  });

  test('seconds are plain decimals; nonsense is refused', () => {
    assert.deepEqual([0, 0.25, 1, 1.5, 2.0004, 30].map(secondsArg), ['0', '0.25', '1', '1.5', '2', '30']);
    assert.throws(() => saioLoadArgv({ ...http, connections: 0 }), /connections must be a positive integer/);
    assert.throws(() => saioLoadArgv({ ...http, duration_s: 0 }), /duration_s must be positive/);
    assert.throws(() => saioLoadArgv({ ...http, settings: defaultDriverSettings('wrk') }), /was handed the settings of wrk/);
  });

  test('one invocation per point: its own warm-up, then the measured phase', () => {
    const inv = saioLoadDriver.invocations(http);
    assert.deepEqual(inv.map((i) => [i.name, i.purpose]), [['driver', 'measure']]);
  });
});

describe('saio-load --json', () => {
  test('closed loop: achieved rate, every response checked, no offered rate', () => {
    const r = parseSaioLoadJson(fixture('contract-closed-http.json'));
    assert.equal(r.driver, 'saio-load');
    assert.equal(r.loop, 'closed');
    assert.equal(r.requests_per_s, 51234.5);
    assert.equal(r.offered_per_s, null);
    assert.equal(r.verified, 102469);
    assert.equal(r.mismatched, 0);
    assert.deepEqual(r.latency_us, { p50: 180, p90: 260, p99: 610, p999: 1900, p9999: 4100, max: 5230 });
    assert.deepEqual(r.cpu_s, { total: 0.93, threads: [0.93] });
    assert.ok(Math.abs(r.duration_s - 102469 / 51234.5) < 1e-9);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual((r.histogram as { buckets: unknown[] }).buckets.length, 5, 'the histogram is kept verbatim');
  });

  test('open loop: offered and achieved, corrected and uncorrected percentiles, schedule lag, the generator’s warnings', () => {
    const r = parseSaioLoadJson(fixture('contract-open-http-bottleneck.json'));
    assert.equal(r.loop, 'open');
    assert.equal(r.offered_per_s, 50000);
    assert.equal(r.requests_per_s, 41000);
    assert.equal(r.latency_us.p99, 210000);
    assert.equal(r.service_us?.p99, 1500);
    assert.equal(r.schedule_lag_us?.p99, 2900);
    assert.deepEqual(r.cpu_s, { total: 1.96, threads: [0.99, 0.97] });
    assert.deepEqual(r.warnings, ['generator was the bottleneck: schedule lag p99 2.9 ms > 1 ms', 'achieved 82% of offered']);
  });

  test('every fixture parses, and its counts are consistent', () => {
    for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json'))) {
      const r = parseSaioLoadJson(fixture(f));
      assert.ok(r.requests >= (r.verified ?? 0), f);
      assert.ok(r.latency_us.p50 <= r.latency_us.p99 && r.latency_us.p99 <= r.latency_us.max, f);
    }
  });

  test('warnings as objects, errors as one number, text before the document (a log line) are read too', () => {
    const doc = JSON.parse(fixture('contract-redis-mixed.json'));
    doc.warnings = [{ message: 'achieved 97% of offered', kind: 'rate' }];
    doc.errors = 3;
    const r = parseSaioLoadJson(`saio-load: warming up\n${JSON.stringify(doc, null, 2)}\n`);
    assert.deepEqual(r.warnings, ['achieved 97% of offered']);
    assert.deepEqual(r.errors, { total: 3 });
  });

  test('a document missing a key, with a wrong type, no document, or nothing: refused, naming what', () => {
    const doc = JSON.parse(fixture('contract-closed-http.json'));
    const refuse = (text: string, re: RegExp) =>
      assert.throws(() => parseSaioLoadJson(text), (e: unknown) => e instanceof DriverOutputError && re.test(e.message) && e.output === text);
    refuse(JSON.stringify({ ...doc, verified: undefined }), /verified: /);
    refuse(JSON.stringify({ ...doc, latency_us: { ...doc.latency_us, p999: 'x' } }), /latency_us\.p999/);
    refuse(JSON.stringify({ ...doc, requests: -1 }), /requests: /);
    refuse('Usage: saio-load [options] URL\n', /did not print one JSON document/);
    refuse('', /printed nothing on stdout/);
  });
});
