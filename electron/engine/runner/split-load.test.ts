// Several load hosts, without hosts: how a point's connections, rate and keys are split (remainders
// to the first hosts, shares adding up exactly), and that the merge of the generators' results is
// exactly what `saio-load --merge` computes from their raw documents, with counts and rates summed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSaioLoadJson } from '../drivers/saio-load/json';
import { saioLoadPath } from '../drivers/saio-load/saio-load';
import type { ProtocolSettings } from '../common/protocols/catalog';
import { repoRoot } from '../paths';
import { mergeLoadResults, splitLoad, t0UnixMs, type LoadShare } from './split-load';

const http = { kind: 'http', file_size: 1024, keep_alive: true } as unknown as ProtocolSettings;
const redis = { kind: 'redis', workload: 'mixed', get_fraction: 0.9, keys: 1001, key_size: 16, value_size: 64 } as unknown as ProtocolSettings;
const FIXTURES = join(repoRoot(), 'electron', 'engine', 'drivers', 'saio-load', 'fixtures');

test('connections: floor(C/n) each, the first C mod n hosts one more; rate in proportion, whole requests/s adding up to round(R)', () => {
  const s = splitLoad({ connections: 10, rate_per_s: null, protocol: http }, ['a', 'b', 'c']);
  assert.deepEqual(
    s.map((x) => [x.host, x.connections, x.rate_per_s]),
    [
      ['a', 4, null],
      ['b', 3, null],
      ['c', 3, null],
    ],
  );
  const o = splitLoad({ connections: 10, rate_per_s: 1000.4, protocol: http }, ['a', 'b', 'c']);
  assert.deepEqual(
    o.map((x) => x.rate_per_s),
    [400, 300, 300],
  );
  const odd = splitLoad({ connections: 3, rate_per_s: 1001, protocol: http }, ['a', 'b']);
  // 2 and 1 connections: 667.33 and 333.67 → 667 and 333, the one left over to the first host.
  assert.deepEqual(
    odd.map((x) => [x.connections, x.rate_per_s]),
    [
      [2, 668],
      [1, 333],
    ],
  );
  assert.equal(
    odd.reduce((a, x) => a + (x.rate_per_s ?? 0), 0),
    1001,
  );
  assert.ok(
    s.every((x) => x.keys === null && x.key_prefix === null),
    'http has no key space',
  );
});

test('redis/memcached: keys split like connections under disjoint five-character prefixes', () => {
  const s = splitLoad({ connections: 100, rate_per_s: null, protocol: redis }, ['gen1', 'gen2']);
  assert.deepEqual(
    s.map((x) => [x.keys, x.key_prefix]),
    [
      [501, 'sg01:'],
      [500, 'sg02:'],
    ],
  );
  assert.throws(
    () => splitLoad({ connections: 100, rate_per_s: null, protocol: { ...redis, keys: 60 } as ProtocolSettings }, ['a', 'b', 'c']),
    /60 keys cannot be split over 3 load hosts with 100 connections/,
  );
});

test('bad lists: a host twice, more hosts than connections', () => {
  assert.throws(() => splitLoad({ connections: 10, rate_per_s: null, protocol: http }, ['a', 'a']), /named twice: a, a/);
  assert.throws(() => splitLoad({ connections: 2, rate_per_s: null, protocol: http }, ['a', 'b', 'c']), /2 connections cannot be split over 3 load hosts \(a, b, c\): each needs at least one/);
});

test('merged results equal saio-load --merge of the raw documents; requests, rates, errors and checks are sums', () => {
  for (const [fa, fb] of [
    ['captured-closed-http.json', 'captured-closed-http.json'],
    ['captured-open-http-lag.json', 'captured-open-http-overload.json'],
  ] as const) {
    const docs = [fa, fb].map((f) => join(FIXTURES, f));
    const results = docs.map((f) => parseSaioLoadJson(readFileSync(f, 'utf8')));
    const share = (host: string): LoadShare => ({ host, connections: 1, rate_per_s: null, keys: null, key_prefix: null });
    const merged = mergeLoadResults(
      results.map((result, i) => ({ share: share(`g${i}`), result, window_start_ms: 1000 + i })),
      50,
    );
    const cli = spawnSync(saioLoadPath(), ['--merge', ...docs], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const want = JSON.parse(cli.stdout) as { requests: number; latency_us: unknown; service_us: unknown; schedule_lag_us: unknown };
    const [a, b] = results as [NonNullable<(typeof results)[0]>, NonNullable<(typeof results)[0]>];
    assert.equal(merged.requests, want.requests);
    assert.equal(merged.requests, a.requests + b.requests);
    const strip = (p: unknown) => (p === null ? null : { ...(p as Record<string, number>) });
    assert.deepEqual(strip(merged.latency_us), strip(want.latency_us), `${fa}+${fb} latency`);
    if (a.service_us) assert.deepEqual(strip(merged.service_us), strip(want.service_us), `${fa}+${fb} service`);
    assert.equal(merged.requests_per_s, a.requests_per_s + b.requests_per_s);
    assert.equal(merged.offered_per_s, a.offered_per_s === null ? null : a.offered_per_s + (b.offered_per_s ?? 0));
    assert.equal(merged.mismatched, a.mismatched + b.mismatched);
    for (const k of new Set([...Object.keys(a.errors), ...Object.keys(b.errors)])) assert.equal(merged.errors[k], (a.errors[k] ?? 0) + (b.errors[k] ?? 0), k);
    assert.deepEqual(
      merged.generators?.map((g) => [g.host, g.requests]),
      [
        ['g0', a.requests],
        ['g1', b.requests],
      ],
    );
    assert.ok(!merged.warnings.some((w) => /apart/.test(w)), '1 ms apart is within 50 ms');
  }
});

test('windows further apart than allowed, or unknown, are said in a warning', () => {
  const r = parseSaioLoadJson(readFileSync(join(FIXTURES, 'captured-closed-http.json'), 'utf8'));
  const share = (host: string): LoadShare => ({ host, connections: 1, rate_per_s: null, keys: null, key_prefix: null });
  const apart = mergeLoadResults(
    [
      { share: share('a'), result: r, window_start_ms: 0 },
      { share: share('b'), result: r, window_start_ms: 400 },
    ],
    50,
  );
  assert.ok(
    apart.warnings.some((w) => /began 400 ms apart \(more than 50 ms\)/.test(w)),
    JSON.stringify(apart.warnings),
  );
  const unknown = mergeLoadResults(
    [
      { share: share('a'), result: r, window_start_ms: null },
      { share: share('b'), result: r, window_start_ms: 0 },
    ],
    50,
  );
  assert.ok(unknown.warnings.some((w) => /did not say when their windows began/.test(w)));
  assert.throws(() => mergeLoadResults([{ share: share('a'), result: { ...r, histogram: null }, window_start_ms: 0 }], 50), /on a wrote no histogram/);
  assert.equal(t0UnixMs('{"t0_unix_ns": 1796516672899232922}'), 1796516672899);
});
