// The runner with saio-load, for real: against nginx, redis and memcached, closed loop and open
// loop at fractions of a capacity it measures first, every point verified with counts of checked
// responses, and the generator's warnings on the points they are about.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saioKmod } from '../backends/saio-kmod';
import { saioLoadDriver } from '../drivers/saio-load/saio-load';
import type { ExperimentCell } from '../common/notebook/schema';
import { validateNotebook } from '../notebook/validate';
import { createNotebook, loadRevision } from '../notebooks';
import { Store } from '../store/store';
import type { OutputChunk } from './processes';
import { runCell } from './runner';

const dir = mkdtempSync(join(tmpdir(), 'saio-runner-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

before(() => {
  const why = saioLoadDriver.unavailable();
  if (why) throw new Error(`these tests need saio-load: ${why}`);
});

let n = 0;
async function runIt(cell: Record<string, unknown>, onOutput?: (c: OutputChunk) => void) {
  const store = new Store(join(dir, `${++n}.db`));
  const v = validateNotebook({
    format: 'saio-lab/notebook@2',
    title: 'saio-load through the runner',
    cells: [{ id: 'exp', type: 'experiment', backends: ['baseline'], driver: { kind: 'saio-load' }, duration_s: 1, warmup_s: 0.5, repeats: 1, pinning: { server: [0], driver: [1] }, ...cell }],
  });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const { notebook, revision } = createNotebook(store, `nb${n}`, v.notebook);
  const exp = loadRevision(store, revision.id).cells[0] as ExperimentCell;
  const r = await runCell(store, { notebookId: notebook.id, revisionId: revision.id, cell: exp, quick: false, runsDir: join(dir, 'runs'), ...(onOutput ? { onOutput } : {}) });
  return { store, run: r, points: store.listPoints(r.id) };
}

test('nginx, closed loop then open loop at fractions of capacity: probes first, rates resolved from them, every point verified', async () => {
  const live: OutputChunk[] = [];
  const { store, run, points } = await runIt(
    {
      server: { kind: 'nginx' },
      protocol: { kind: 'http', file_size: 2048 },
      backends: ['baseline', 'saio-uring'],
      sweep: { connections: [8], rate: { of_capacity: [0.2, 0.5], probe_s: 1 } },
    },
    (c) => live.push(c),
  );
  assert.notEqual(run.status, 'failed', run.reason ?? '');
  // A live terminal gets a line per invocation, not saio-load's document (histograms: ~100 KiB each).
  const driverText = live
    .filter((c) => c.role === 'driver')
    .map((c) => c.data)
    .join('');
  assert.doesNotMatch(driverText, /"histogram"/);
  assert.equal(driverText.match(/^saio-load: [\d,]+ (of [\d,]+ offered )?requests\/s.*responses right, 0 wrong/gm)?.length, 6, driverText.slice(0, 500));
  assert.deepEqual(
    points.map((p) => `${p.kind}:${p.backend}:${p.config}`),
    [
      'probe:baseline:w=1 c=8 closed',
      'probe:saio-uring:w=1 c=8 closed',
      'measure:baseline:w=1 c=8 rate=0.2cap',
      'measure:saio-uring:w=1 c=8 rate=0.2cap',
      'measure:baseline:w=1 c=8 rate=0.5cap',
      'measure:saio-uring:w=1 c=8 rate=0.5cap',
    ],
  );
  const capacity = Math.max(...points.filter((p) => p.kind === 'probe').map((p) => p.requests_per_s ?? 0));
  for (const p of points) {
    assert.equal(p.status, 'ok', p.reason ?? '');
    assert.equal(p.verified, true, p.reason ?? '');
    assert.ok((p.verification?.responses_checked ?? 0) > 100, `point ${p.seq} checked ${p.verification?.responses_checked}`);
    assert.equal(p.verification?.responses_mismatched, 0);
    assert.equal(p.verification?.after?.ok, true);
    assert.equal(p.load?.driver, 'saio-load');
    assert.equal((p.load?.histogram as { format?: string } | null)?.format, 'saio-loghist/1', 'the histogram is stored');
    if (p.kind === 'probe') {
      assert.equal(p.load?.loop, 'closed');
      assert.equal(p.rate_per_s, null);
    } else {
      assert.equal(p.load?.loop, 'open');
      assert.equal(p.rate_per_s, Math.round((p.rate_of_capacity ?? 0) * capacity), 'every backend is offered the same fraction of the highest capacity');
      assert.equal(p.offered_per_s, p.rate_per_s);
      assert.ok((p.latency_p99_us ?? 0) >= (p.load?.service_us?.p99 ?? Infinity) * 0.999, 'corrected p99 is at least the service p99');
    }
  }
  const argv = store.listArtifacts(run.id).filter((a) => a.name === 'driver.stdout');
  assert.equal(argv.length, 6);
  store.close();
});

for (const kind of ['redis', 'memcached'] as const) {
  test(`${kind}: GET/SET mix in closed loop at 4 and 16 connections, under baseline and saio-uring, every GET checked`, async () => {
    const { store, run, points } = await runIt({
      server: { kind, workers: 1 },
      protocol: { kind, workload: 'mixed', get_fraction: 0.8, keys: 2000, value_size: 100 },
      backends: ['baseline', 'saio-uring'],
      sweep: { connections: [4, 16] },
    });
    assert.equal(run.status, 'ok', run.reason ?? '');
    assert.equal(points.length, 4);
    for (const p of points) {
      assert.equal(p.verified, true, p.reason ?? '');
      assert.ok((p.verification?.responses_checked ?? 0) > 100);
      assert.equal(p.verification?.protocol, kind);
      assert.match(p.verification?.after?.check ?? '', /random key/);
      assert.equal(p.server, kind);
    }
    assert.ok(
      store.listArtifacts(run.id).some((a) => a.kind === 'preload-stats'),
      'libsaio’s statistics kept for the saio-uring points',
    );
    assert.match(store.getEnvironment(run.id)?.server_version ?? '', new RegExp(`^${kind}/\\d`));
    assert.match(store.getEnvironment(run.id)?.driver_version ?? '', /^saio-load 1 \(binary sha256 [0-9a-f]{12}\)$/);
    store.close();
  });
}

// An absolute rate no server here reaches (a fraction of a probed capacity is not a sure overload
// on a machine whose speed changes under other work), offered to redis by 8 connections.
const FAR_BEYOND_CAPACITY = { server: { kind: 'redis' }, protocol: { kind: 'redis', keys: 100 }, sweep: { connections: [8], rate: [2_000_000] } };

test('offered far more than the server can take: the generator’s warning marks the point, the run says so, and the point is still verified', async () => {
  // No warm-up, so that the window's first requests complete (see the next test for when none does).
  const { run, points } = await runIt({ ...FAR_BEYOND_CAPACITY, warmup_s: 0 });
  const [over] = points;
  assert.equal(over?.rate_per_s, 2_000_000);
  assert.ok((over?.requests_per_s ?? Infinity) < 0.5 * 2_000_000, `achieved ${over?.requests_per_s}`);
  assert.ok(
    over?.warnings.some((w) => /^achieved \d+\.\d% of the offered load/.test(w)),
    JSON.stringify(over?.warnings),
  );
  assert.equal(over?.verified, true, over?.reason ?? '');
  assert.ok((over?.verification?.responses_checked ?? 0) > 0);
  assert.equal(run.status, 'ok');
  assert.match(run.reason ?? '', /points carry warnings; first: /);
});

test('so far beyond capacity that no request of the window completes: the point fails saying so, not as wrong responses', async () => {
  const { run, points } = await runIt({ ...FAR_BEYOND_CAPACITY, duration_s: 0.5, warmup_s: 1 });
  const [p] = points;
  assert.equal(p?.status, 'failed');
  assert.equal(p?.load?.requests, 0);
  assert.equal(p?.requests_per_s, 0);
  assert.equal(p?.latency_p99_us, null);
  assert.match(p?.reason ?? '', /^no request completed in the measured window \(offered 2000000\/s: the load was not achieved\)$/);
  assert.ok(
    p?.warnings.some((w) => /^achieved 0\.0% of the offered load/.test(w)),
    JSON.stringify(p?.warnings),
  );
  assert.equal(run.status, 'failed');
  assert.match(run.reason ?? '', /^1 of 1 points failed; first: no request completed in the measured window/);
});

test('no capacity measured (every probe failed): the rate points fail with that reason, not with a made-up rate', async () => {
  const { run, points } = await runIt({
    server: { kind: 'redis', extra_config: 'no-such-directive yes' },
    protocol: { kind: 'redis', keys: 100 },
    sweep: { connections: [8], rate: { of_capacity: [0.5] } },
  });
  assert.equal(run.status, 'failed');
  assert.deepEqual(
    points.map((p) => `${p.kind}:${p.status}`),
    ['probe:failed', 'measure:failed'],
  );
  assert.match(points[0]?.reason ?? '', /exited before it answered.*no-such-directive/i);
  assert.match(points[1]?.reason ?? '', /^no capacity measured for w=1 c=8: no capacity probe gave a verified rate \(first: the server exited/);
  assert.equal(points[1]?.rate_per_s, null);
});

test('redis and memcached under saio-kmod: on a host that cannot load modules its points are skipped with the reason, the others run', async (t) => {
  const why = saioKmod.unavailable();
  if (why === null) return t.skip('this host can load modules: the saio-kmod points would run for real');
  for (const kind of ['redis', 'memcached'] as const) {
    const { run, points } = await runIt({
      server: { kind },
      protocol: { kind, keys: 100 },
      backends: ['baseline', 'saio-kmod'],
      sweep: { connections: [4] },
    });
    assert.equal(run.status, 'ok', run.reason ?? '');
    assert.deepEqual(
      points.map((p) => `${p.backend}:${p.status}`),
      ['baseline:ok', 'saio-kmod:skipped'],
    );
    assert.equal(points[1]?.reason, why);
    assert.equal(points[0]?.verified, true);
  }
});
