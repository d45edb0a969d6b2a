// The runner against real nginx and real wrk on 127.0.0.1.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ProgressEvent } from '../model';
import type { ExperimentCell, Notebook } from '../common/notebook/schema';
import { oneCellNotebook, validNotebook } from '../notebook/fixture';
import { saioKmod } from '../backends/saio-kmod';
import { cannotLoadModules, hostFacts, type HostFacts } from '../kmod/host';
import { ModuleStep } from '../kmod/module-step';
import { createNotebook, loadRevision } from '../notebooks';
import { Store } from '../store/store';
import { repeatDecision } from '../common/stats/repeats';
import { processesInGroup } from './procfs';
import { planPoints, runCell } from './runner';

const dir = mkdtempSync(join(tmpdir(), 'saio-runner-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const notebookWith = (cell: Partial<ExperimentCell>): Notebook =>
  validNotebook(
    oneCellNotebook(
      { id: 'exp', protocol: { kind: 'http', file_size: 4096 }, driver: { kind: 'wrk' }, sweep: { connections: [4, 16] }, pinning: { server: [0], driver: [1] }, ...cell },
      'runner test',
    ),
  );

async function run(store: Store, name: string, cell: Partial<ExperimentCell>, opts: { signal?: AbortSignal; onProgress?: (e: ProgressEvent) => void; quick?: boolean } = {}) {
  const { notebook, revision } = createNotebook(store, name, notebookWith(cell));
  const exp = loadRevision(store, revision.id).cells[0] as ExperimentCell;
  return runCell(store, { notebookId: notebook.id, revisionId: revision.id, cell: exp, quick: false, runsDir: join(dir, 'runs'), ...opts });
}

test('planPoints alternates backends innermost and repeats outermost', () => {
  const cell = notebookWith({ sweep: { connections: [1, 2] }, repeats: 2 }).cells[0] as ExperimentCell;
  const plan = planPoints({ ...cell, backends: ['a', 'b'] });
  assert.deepEqual(
    plan.map((p) => `${p.repeat}:${p.configuration.connections}:${p.backend}`),
    ['1:1:a', '1:1:b', '1:2:a', '1:2:b', '2:1:a', '2:1:b', '2:2:a', '2:2:b'],
  );
  assert.deepEqual(
    plan.map((p) => p.seq),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test('a sweep against real nginx: verified points, placement, artifacts, environment, progress', async () => {
  const store = new Store(join(dir, 'ok.db'));
  const events: ProgressEvent[] = [];
  const r = await run(store, 'ok', {}, { onProgress: (e) => events.push(e) });
  assert.equal(r.status, 'ok', r.reason ?? '');
  const points = store.listPoints(r.id);
  assert.equal(points.length, 2);
  for (const p of points) {
    assert.equal(p.status, 'ok');
    assert.equal(p.verified, true, p.reason ?? '');
    assert.ok((p.requests_per_s ?? 0) > 0);
    assert.ok((p.verification?.responses_checked ?? 0) > 0);
    assert.equal(p.verification?.after?.found, p.verification?.after?.expected);
    assert.equal(p.verification?.after?.ok, true);
    assert.equal(p.config, `w=1 c=${p.connections} closed`);
    assert.equal(p.kind, 'measure');
    assert.ok((p.latency_p99_us ?? 0) >= (p.latency_p50_us ?? 0));
  }
  const placement = store.listPlacement(r.id);
  const server = placement.filter((s) => s.role === 'server');
  const driver = placement.filter((s) => s.role === 'driver');
  assert.ok(
    server.some((s) => s.comm === 'nginx'),
    'nginx threads sampled',
  );
  assert.ok(
    driver.some((s) => s.comm === 'wrk'),
    'wrk threads sampled',
  );
  // Pinned: every sampled thread ran where the notebook put it.
  assert.ok(
    server.every((s) => s.cpu === 0 && s.allowed_cpus === '0'),
    JSON.stringify(server.slice(0, 3)),
  );
  assert.ok(driver.every((s) => s.cpu === 1 && s.allowed_cpus === '1'));
  assert.ok(placement.every((s) => s.point_id !== null));
  assert.ok(new Set(server.map((s) => s.pid)).size >= 2, 'master and worker both seen');

  const kinds = new Set(store.listArtifacts(r.id).map((a) => a.kind));
  for (const k of ['server-config', 'server-log', 'driver-stdout']) assert.ok(kinds.has(k), k);
  const conf = store.listArtifacts(r.id).find((a) => a.name === 'nginx.conf');
  assert.match(store.artifactContent(conf!.id)!.toString(), /listen 127\.0\.0\.1:\d+ reuseport;/);

  const env = store.getEnvironment(r.id);
  assert.match(env?.server_version ?? '', /^nginx\/\d+\.\d+\.\d+/);
  assert.match(env?.driver_version ?? '', /\d/);
  assert.ok((env?.cpus ?? 0) >= 1);
  assert.ok(env?.kernel);

  assert.deepEqual([...new Set(events.map((e) => e.points))], [2]);
  assert.deepEqual(
    events.filter((e) => e.phase === 'done').map((e) => e.point),
    [1, 2],
  );
  assert.equal(events.at(-1)?.eta_s, 0);
  assert.equal(store.openProcesses(r.id).length, 0, 'every process the run started has ended');
  const sampler = store.listArtifacts(r.id).find((a) => a.kind === 'sampler-stats');
  const cost = JSON.parse(store.artifactContent(sampler!.id)!.toString());
  assert.ok(cost.rounds >= 4 && cost.mean_round_us > 0, JSON.stringify(cost));
  store.close();
});

test('a server that cannot start fails its points with the server’s own words, and the run says so', async () => {
  const store = new Store(join(dir, 'bad.db'));
  const r = await run(store, 'bad', {
    server: { kind: 'nginx', workers: 1, extra_config: 'no_such_directive on;' },
    protocol: { kind: 'http', file_size: 10, keep_alive: true },
    sweep: { connections: [2] },
  });
  assert.equal(r.status, 'failed');
  const [p] = store.listPoints(r.id);
  assert.equal(p?.status, 'failed');
  assert.match(p?.reason ?? '', /exited before it answered.*unknown directive "no_such_directive"/);
  assert.match(r.reason ?? '', /1 of 1 points failed/);
  store.close();
});

test('pinning to a CPU this machine does not offer fails clearly before starting anything', async () => {
  const store = new Store(join(dir, 'pin.db'));
  const r = await run(store, 'pin', { pinning: { server: [4000] } });
  assert.equal(r.status, 'failed');
  assert.match(r.reason ?? '', /pinning\.server names CPU 4000, but this machine lets the lab use CPUs/);
  assert.equal(store.listPoints(r.id).length, 0);
  store.close();
});

test('a missing server program fails the run with what to install', async () => {
  const store = new Store(join(dir, 'missing.db'));
  const path = process.env.PATH;
  process.env.PATH = join(dir, 'empty-bin');
  try {
    const r = await run(store, 'missing', {});
    assert.equal(r.status, 'failed');
    assert.match(r.reason ?? '', /"nginx" is not installed or not on PATH: install it/);
  } finally {
    process.env.PATH = path;
  }
  store.close();
});

test('cancel stops the server and the load generator and records the run as cancelled', async () => {
  const store = new Store(join(dir, 'cancel.db'));
  const ac = new AbortController();
  const groups = new Set<number>();
  const r = await run(
    store,
    'cancel',
    { sweep: { connections: [4, 8, 16] }, duration_s: 3 },
    {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.phase === 'measure' && e.point === 2) {
          setTimeout(() => {
            for (const run of store.runsInState('running')) for (const p of store.openProcesses(run.id)) groups.add(p.pid);
            ac.abort();
          }, 300);
        }
      },
    },
  );
  assert.equal(r.status, 'cancelled');
  assert.equal(store.listPoints(r.id).length, 1, 'the finished point is kept, the one in flight is not');
  assert.ok(groups.size >= 2, 'server and driver were running when cancelled');
  await new Promise((res) => setTimeout(res, 200));
  for (const g of groups) assert.deepEqual(processesInGroup(g), [], `process group ${g} is gone`);
  store.close();
});

test('lighttpd is one more server module: Connection: close, 100 KiB bodies, verified', async () => {
  const store = new Store(join(dir, 'lighttpd.db'));
  const r = await run(store, 'lighttpd', {
    server: { kind: 'lighttpd', workers: 1, extra_config: '' },
    protocol: { kind: 'http', file_size: 100 * 1024, keep_alive: false },
    sweep: { connections: [8] },
  });
  assert.equal(r.status, 'ok', r.reason ?? '');
  const [p] = store.listPoints(r.id);
  assert.equal(p?.verified, true, p?.reason ?? '');
  assert.ok((p?.verification?.responses_checked ?? 0) > 0);
  assert.match(store.getEnvironment(r.id)?.server_version ?? '', /^lighttpd\/1\.4/);
  assert.ok(store.listPlacement(r.id).some((s) => s.role === 'server' && s.comm === 'lighttpd'));
  store.close();
});

test('UI runs (server under a pseudo-terminal): a point is verified and the driver’s whole report streams live', async () => {
  const store = new Store(join(dir, 'pty.db'));
  const { notebook, revision } = createNotebook(store, 'pty', notebookWith({ sweep: { connections: [4] } }));
  const cell = loadRevision(store, revision.id).cells[0] as ExperimentCell;
  const chunks: { role: string; stream: string; data: string }[] = [];
  const r = await runCell(store, {
    notebookId: notebook.id,
    revisionId: revision.id,
    cell,
    quick: false,
    runsDir: join(dir, 'runs'),
    pty: true,
    onOutput: (c) => chunks.push(c),
  });
  assert.equal(r.status, 'ok', r.reason ?? '');
  const [p] = store.listPoints(r.id);
  assert.equal(p?.verified, true, p?.reason ?? '');
  assert.ok((p?.requests_per_s ?? 0) > 0);
  const driverText = chunks
    .filter((c) => c.role === 'driver')
    .map((c) => c.data)
    .join('');
  assert.match(driverText, /Requests\/sec:/, 'the driver’s report arrived as live output');
  assert.match(driverText, /SAIO-WRK-JSON \{.*\}\}\n/, 'the report arrived to its last line');
  const artifacts = store.listArtifacts(r.id);
  const stdout = artifacts.find((a) => a.name === 'driver.stdout');
  assert.match(store.artifactContent(stdout!.id)!.toString(), /SAIO-WRK-JSON/);
  assert.equal(store.openProcesses(r.id).length, 0, 'every process the run started has ended');
  store.close();
});

test('saio-kmod on a host that cannot load modules: every saio-kmod point is skipped with the exact reason, baseline runs, the run is ok', async (t) => {
  const why = cannotLoadModules(hostFacts());
  if (why === null) return t.skip('this host can load modules; the module step would build and load saio.ko for real');
  const store = new Store(join(dir, 'kmod.db'));
  const events: ProgressEvent[] = [];
  const r = await run(
    store,
    'kmod',
    { backends: ['baseline', 'saio-kmod'], sweep: { connections: [4, 8] }, kmod: { mode: 'worker', workers: 2, cpus: 'local', module_params: { default_idle_us: 100 } } },
    { quick: true, onProgress: (e) => events.push(e) },
  );
  const reason = saioKmod.unavailable();
  assert.ok(reason?.endsWith(why), `${reason} names the host's reason`);
  assert.equal(r.status, 'ok', r.reason ?? '');
  assert.equal(r.reason, `2 of 4 points skipped: ${reason}`);
  const points = store.listPoints(r.id);
  assert.deepEqual(
    points.map((p) => `${p.backend}:${p.connections}:${p.status}`),
    ['baseline:4:ok', 'saio-kmod:4:skipped', 'baseline:8:ok', 'saio-kmod:8:skipped'],
  );
  for (const p of points.filter((x) => x.backend === 'baseline')) {
    assert.equal(p.verified, true, p.reason ?? '');
    assert.ok((p.requests_per_s ?? 0) > 0);
  }
  for (const p of points.filter((x) => x.backend === 'saio-kmod')) {
    assert.equal(p.reason, reason);
    assert.equal(p.requests_per_s, null);
    assert.equal(p.verified, false);
  }
  const skippedEvents = events.filter((e) => e.phase === 'skipped');
  assert.deepEqual(
    skippedEvents.map((e) => e.point),
    [2, 4],
  );
  assert.ok(
    skippedEvents.every((e) => e.label.endsWith(`: skipped (${reason})`)),
    skippedEvents[0]?.label,
  );
  const arts = store.listArtifacts(r.id);
  assert.ok(
    arts.every((a) => a.point_id === null || points.find((p) => p.id === a.point_id)?.backend === 'baseline'),
    'nothing ran for the skipped points',
  );
  assert.ok(!arts.some((a) => a.kind === 'dmesg' || a.kind === 'kmod-build-log'), 'no module was built or loaded');
  assert.equal(store.openProcesses(r.id).length, 0);
  store.close();
});

test('kernel workers pinned to a CPU this machine does not offer fail the run before anything starts', async () => {
  const store = new Store(join(dir, 'kmod-pin.db'));
  const r = await run(store, 'kmod-pin', { backends: ['saio-kmod'], kmod: { mode: 'worker', workers: 1, cpus: [4000], module_params: {} } });
  assert.equal(r.status, 'failed');
  assert.match(r.reason ?? '', /^kmod\.cpus names CPU 4000, but this machine lets the lab use CPUs/);
  assert.equal(store.listPoints(r.id).length, 0);
  store.close();
});

test('the module step on a module-capable host (stand-in script): a refused insmod fails the saio-kmod points, and kernel trouble fails the run with the lines quoted', async () => {
  // The real runner and the real module step; only the host's facts and the shell script are
  // stand-ins, since this host cannot load modules. insmod "oopses": the points fail with its
  // words, the kernel log since the mark is kept with the run, and its trouble fails the run.
  const able: HostFacts = { kernel: '7.3.0-1-stand-in', uid: 0, moduleSupport: true, modulesDisabled: false, lockdown: 'none', headers: '/lib/modules/7.3.0-1-stand-in/build' };
  const script = join(dir, 'module-step-stand-in.sh');
  writeFileSync(
    script,
    `#!/bin/sh
echo "$*" >> '${dir}/stand-in.calls'
case $1 in
loaded) echo "saio is not loaded"; exit 1 ;;
build) mkdir -p "$3" && echo ko > "$3/saio.ko" && echo "built" ;;
mark) echo saio-lab-mark-7 ;;
load) echo "module-step: insmod $2 failed: Killed" >&2; exit 1 ;;
unload) exit 1 ;;
dmesg-since) echo "[ 1.0] BUG: kernel NULL pointer dereference"; echo "[ 1.0] BUG: kernel NULL pointer dereference" >&2; exit 4 ;;
esac
`,
  );
  chmodSync(script, 0o755);
  const saved = { unavailable: saioKmod.unavailable, beginRun: saioKmod.beginRun };
  saioKmod.unavailable = () => null;
  saioKmod.beginRun = (ctx) => ModuleStep.begin({ runDir: ctx.runDir, params: { default_idle_us: 9 }, facts: able, script, signal: ctx.signal, progress: ctx.progress });
  const store = new Store(join(dir, 'kmod-step.db'));
  try {
    const r = await run(store, 'kmod-step', { backends: ['saio-kmod', 'baseline'], sweep: { connections: [4] }, repeats: 2 }, { quick: true });
    const points = store.listPoints(r.id);
    assert.deepEqual(
      points.map((p) => `${p.backend}:${p.status}`),
      ['saio-kmod:failed', 'baseline:ok', 'saio-kmod:failed', 'baseline:ok'],
    );
    const insmod = /^insmod saio\.ko default_idle_us=9 failed: insmod .*saio\.ko failed: Killed$/;
    for (const p of points.filter((x) => x.backend === 'saio-kmod')) assert.match(p.reason ?? '', insmod);
    assert.equal(r.status, 'failed');
    assert.match(
      r.reason ?? '',
      /^2 of 4 points failed; first: insmod saio\.ko .*; saio-kmod: kernel trouble in the kernel log while saio was loaded \(dmesg\.txt has every line\): \[ 1\.0\] BUG: kernel NULL pointer dereference$/,
    );
    const calls = readFileSync(join(dir, 'stand-in.calls'), 'utf8')
      .trim()
      .split('\n')
      .map((c) => c.split(' ')[0]);
    assert.deepEqual(calls, ['loaded', 'build', 'mark', 'load', 'dmesg-since'], 'one module step for the whole run');
    const runArts = store.listArtifacts(r.id).filter((a) => a.point_id === null);
    assert.deepEqual(
      runArts
        .map((a) => a.kind)
        .filter((k) => k !== 'sampler-stats')
        .sort(),
      ['dmesg', 'kmod-build-log', 'kmod-step'],
    );
    const dmesg = runArts.find((a) => a.kind === 'dmesg');
    assert.match(store.artifactContent(dmesg!.id)!.toString(), /BUG: kernel NULL pointer dereference/);
  } finally {
    saioKmod.unavailable = saved.unavailable;
    saioKmod.beginRun = saved.beginRun;
    store.close();
  }
});

test("repeats until clear: rounds of both backends (alternated) until each median's 95% CI is within target_ci, or max; repeats.json says which; every point carries its CPU", async () => {
  const store = new Store(join(dir, 'repeats.db'));
  try {
    const cell = {
      backends: ['baseline', 'saio-sync'],
      driver: { kind: 'saio-load' as const, threads: 1, arrivals: 'poisson' as const, depth: 1, pipeline: 1, timeout_s: 5 },
      sweep: { connections: [10] },
      duration_s: 0.5,
      warmup_s: 0,
    };
    // ±99.9%: on a quiet machine any 6 repeats are precise enough, so the run stops at the first
    // round that has an interval (6). On a loaded one a repeat can run at twice the median, and
    // the loop must then go on: the rounds it ran are checked against the decision rule itself.
    const policy = { min: 2, max: 8, target_ci: 0.999 };
    const loose = await run(store, 'loose', { ...cell, repeats: policy });
    assert.equal(loose.status, 'ok', loose.reason ?? '');
    const points = store.listPoints(loose.id);
    const art = store.listArtifacts(loose.id).find((a) => a.kind === 'repeat-policy')!;
    const doc = JSON.parse(store.artifactContent(art.id)!.toString());
    const rounds: number = doc.rounds;
    assert.ok(rounds >= 6 && rounds <= policy.max, `rounds ${rounds}: no interval before 6 repeats, at most max`);
    const order = Array.from({ length: rounds }, (_, i) => [`${i + 1}b`, `${i + 1}s`]).flat();
    assert.deepEqual(
      points.map((p) => `${p.repeat}${p.backend === 'baseline' ? 'b' : 's'}`),
      order,
    );
    const samples = (backend: string, n: number) => points.filter((p) => p.backend === backend && p.repeat <= n).map((p) => p.requests_per_s!);
    const stops = (n: number) => ['baseline', 'saio-sync'].every((b) => repeatDecision(policy, samples(b, n)).action === 'stop');
    assert.ok(stops(rounds), `the rule stops after round ${rounds}`);
    for (let n = 1; n < rounds; n++) assert.ok(!stops(n), `the rule did not stop after round ${n}, so round ${n + 1} ran`);
    for (const p of points) {
      assert.ok(p.cpu && p.cpu.server_s > 0 && p.cpu.loadgen_s > 0 && p.requests_per_cpu_s! > 0, JSON.stringify(p.cpu));
      assert.ok(p.cpu.by_class.server.threads >= 2, 'nginx master and worker');
    }
    const reasons = doc.decisions.map((d: { reason: string }) => d.reason);
    if (rounds < policy.max)
      assert.ok(
        reasons.every((r: string) => r === 'target-reached'),
        JSON.stringify(doc.decisions),
      );
    // ±0.01%: never reached on this machine; stops at max and says so.
    const tight = await run(store, 'tight', { ...cell, backends: ['baseline'], repeats: { min: 6, max: 7, target_ci: 0.0001 } });
    assert.equal(store.listPoints(tight.id).length, 7);
    const tdoc = JSON.parse(store.artifactContent(store.listArtifacts(tight.id).find((a) => a.kind === 'repeat-policy')!.id)!.toString());
    assert.equal(tdoc.decisions[0].reason, 'max-reached');
    assert.match(tdoc.decisions[0].message, /stopped at the maximum of 7 repeats: 95% CI of the median still ±/);
  } finally {
    store.close();
  }
});
