// The saio-load driver: its command lines for each protocol and loop, and its --json document
// read into a LoadResult (fixtures: the contract of issue 11, and captures of the real binary).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { defaultDriverSettings } from '../../common/drivers/catalog';
import { defaultProtocolSettings } from '../../common/protocols/catalog';
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
      '-t',
      '2',
      '-c',
      '50',
      '-d',
      '2',
      '--warmup',
      '0.5',
      '--timeout',
      '2',
      '--pipeline',
      '1',
      '--keepalive',
      '--expect-file',
      '/d/file-1024.bin',
      '--json',
      'http://127.0.0.1:8080/file-1024.bin',
    ]);
    assert.ok(saioLoadPath().endsWith(join('native', 'build', 'saio-load')));
  });

  test('open loop: the rate (whole requests/s), arrivals and depth instead of the pipeline', () => {
    const argv = saioLoadArgv({ ...http, rate_per_s: 12345.6, settings: { kind: 'saio-load', threads: 1, arrivals: 'uniform', depth: 4, pipeline: 3, timeout_s: 2 } });
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
    const kv: LoadSpec = {
      ...http,
      endpoint: { url: 'redis://127.0.0.1:6400', host: '127.0.0.1', port: 6400 },
      protocol: { ...(defaultProtocolSettings('redis') as Extract<LoadSpec['protocol'], { kind: 'redis' }>), workload: 'mixed', get_fraction: 0.8 },
      dataset: { docRoot: null, fileName: null, bodyFile: null, sha256: null },
    };
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

  test('a capacity probe pipelines as many requests per connection as the open loop allows in flight', () => {
    assert.deepEqual(saioLoadDriver.probeSettings?.({ kind: 'saio-load', threads: 1, arrivals: 'poisson', depth: 4, pipeline: 1, timeout_s: 2 }), {
      kind: 'saio-load',
      threads: 1,
      arrivals: 'poisson',
      depth: 4,
      pipeline: 4,
      timeout_s: 2,
    });
  });

  test('one invocation per point: its own warm-up, then the measured phase', () => {
    const inv = saioLoadDriver.invocations(http);
    assert.deepEqual(
      inv.map((i) => [i.name, i.purpose]),
      [['driver', 'measure']],
    );
  });
});

describe('saio-load --json (captured from the real binary)', () => {
  test('closed loop over HTTP: achieved rate, every response checked, no offered rate, no schedule', () => {
    const r = parseSaioLoadJson(fixture('captured-closed-http.json'));
    assert.equal(r.driver, 'saio-load');
    assert.equal(r.loop, 'closed');
    assert.equal(r.requests_per_s, 13959);
    assert.equal(r.requests, 13959);
    assert.equal(r.offered_per_s, null);
    assert.equal(r.verified, 13959);
    assert.equal(r.mismatched, 0);
    assert.deepEqual(r.mismatches, { status: 0, body: 0, length: 0, short: 0, value: 0, stale: 0, missing: 0, key: 0 });
    assert.deepEqual(r.errors, { connect: 0, read: 0, write: 0, closed: 0, parse: 0, server: 0, timeout: 0 });
    assert.equal(r.bytes, 17839602, 'bytes received');
    assert.deepEqual(r.latency_us, { p50: 299.263, p90: 2017.279, p99: 6893.567, p999: 9699.327, p9999: 10489.319, max: 10489.319 });
    assert.deepEqual(r.service_us, r.latency_us, 'closed loop: latency is service time');
    assert.equal(r.schedule_lag_us, null, 'closed loop: no schedule (every value null in the document)');
    assert.deepEqual(r.cpu_s, { total: 0.173027, threads: [0.173027] });
    assert.equal(r.duration_s, 1);
    assert.deepEqual(r.warnings, []);
    assert.equal((r.histogram as { format: string }).format, 'saio-loghist/1', 'the histogram is kept verbatim');
  });

  test('open loop: offered and achieved, corrected above uncorrected, schedule lag, the generator’s warning in its words', () => {
    const r = parseSaioLoadJson(fixture('captured-open-http-lag.json'));
    assert.equal(r.loop, 'open');
    assert.equal(r.offered_per_s, 5000);
    assert.equal(r.requests_per_s, 4970);
    assert.equal(r.latency_us?.p99, 99614.719);
    assert.equal(r.service_us?.p99, 11051.007);
    assert.equal(r.schedule_lag_us?.p99, 91291.647);
    assert.deepEqual(r.warnings, ['schedule lag p99 is 91.292 ms (> 1 ms): requests went out late, so the offered load was not the one asked for']);
  });

  test('redis, mixed GET/SET in open loop; memcached GETs in closed loop', () => {
    const redis = parseSaioLoadJson(fixture('captured-open-redis-mixed.json'));
    assert.equal(redis.loop, 'open');
    assert.equal(redis.verified, 5045);
    assert.equal(redis.requests, 5045);
    const mc = parseSaioLoadJson(fixture('captured-closed-memcached-get.json'));
    assert.equal(mc.loop, 'closed');
    assert.equal(mc.verified, 26507);
    assert.equal(mc.latency_us?.p50, 161.023);
  });

  test('far beyond capacity: no request of the window completed, so no percentiles, and the warning says so', () => {
    const r = parseSaioLoadJson(fixture('captured-open-http-overload.json'));
    assert.equal(r.requests, 0);
    assert.equal(r.latency_us, null);
    assert.equal(r.service_us, null);
    assert.equal(r.offered_per_s, 400000);
    assert.match(r.warnings[0] ?? '', /^achieved 0\.0% of the offered load/);
  });

  test('every fixture parses, and its counts are consistent', () => {
    for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json'))) {
      const r = parseSaioLoadJson(fixture(f));
      assert.equal(r.requests, (r.verified ?? 0) + r.mismatched + (r.errors.server ?? 0), f);
      if (r.latency_us) assert.ok(r.latency_us.p50 <= r.latency_us.p99 && r.latency_us.p99 <= r.latency_us.max, f);
    }
  });

  test('warnings as strings, errors as one number, bytes as one number, text before the document: read too', () => {
    const doc = JSON.parse(fixture('captured-open-redis-mixed.json'));
    doc.warnings = ['achieved 97% of offered'];
    doc.errors = 3;
    doc.bytes = 100;
    const r = parseSaioLoadJson(`saio-load: warming up\n${JSON.stringify(doc, null, 2)}\n`);
    assert.deepEqual(r.warnings, ['achieved 97% of offered']);
    assert.deepEqual(r.errors, { total: 3 });
    assert.equal(r.bytes, 100);
  });

  test('a document missing a key, with a wrong type, half its percentiles, no document, or nothing: refused, naming what', () => {
    const doc = JSON.parse(fixture('captured-closed-http.json'));
    const refuse = (text: string, re: RegExp) =>
      assert.throws(
        () => parseSaioLoadJson(text),
        (e: unknown) => e instanceof DriverOutputError && re.test(e.message) && e.output === text,
      );
    refuse(JSON.stringify({ ...doc, verified: undefined }), /verified: /);
    refuse(JSON.stringify({ ...doc, latency_us: { ...doc.latency_us, p999: 'x' } }), /latency_us\.p999/);
    refuse(JSON.stringify({ ...doc, latency_us: { ...doc.latency_us, p999: null } }), /latency_us has some percentiles and not others/);
    refuse(JSON.stringify({ ...doc, requests: -1 }), /requests: /);
    refuse('Usage: saio-load [options] URL\n', /did not print one JSON document/);
    refuse('', /printed nothing on stdout/);
  });
});
