// The runner across hosts, for real: network namespaces with real sshds made by
// scripts/netns-hosts.sh (a set of their own beside the SSH tests': prefix saiotw, 10.214.1.0/24 by
// default, moved with SAIO_TEST_NETNS_PREFIX/SUBNET; neither a person's hosts nor the SSH tests' are touched). Bad hosts fail the cell before any point with one line per
// problem; the shipped experiments/two-hosts.json, pointed at these hosts, replays with exit 0,
// every point verified, per-host environment and placement in results.json, every address used
// inside the namespaces, and nothing left running or on disk there afterwards. Needs root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ResultsJson } from '../report/results-json';
import { validateNotebook } from '../notebook/validate';
import { createNotebook, loadRevision } from '../notebooks';
import { repoRoot } from '../paths';
import { Store } from '../store/store';
import type { ExperimentCell } from '../common/notebook/schema';
import { besideTestHosts, down, strangersIn, up, type NetnsConfig, type NetnsHost } from '../hosts/testing/netns';
import { runCell } from './runner';

const NS: NetnsConfig = besideTestHosts('w');
const SSH_CONFIG = join(NS.dir, 'ssh_config');
const hosts = up(3, NS);
const tmp = mkdtempSync(join(tmpdir(), 'saio-hosts-runner-'));
const inSubnet = (a: string) => a.startsWith(`${NS.subnet}.`);
/** A literal string for a regular expression (its dots escaped). */
const dots = (s: string) => s.replace(/\./g, '\\.');
const nothingLeft = () => {
  for (const h of hosts) assert.deepEqual(strangersIn(h, NS), [], `nothing of the run is left running in ${h.namespace}`);
};

after(() => {
  down(NS);
  // `down` removes everything it made: namespaces, the lab's link, keys and config.
  const left = spawnSync('ip', ['-o', 'netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith(`${NS.prefix}-`));
  assert.deepEqual(left, []);
  assert.equal(spawnSync('ip', ['link', 'show', `${NS.prefix}-lab`]).status !== 0, true, 'the lab link is gone');
  assert.equal(existsSync(NS.dir), false);
  rmSync(tmp, { recursive: true, force: true });
});

/** The shipped two-hosts notebook, its hosts pointed at this suite's namespaces. */
function twoHostsHere(): Record<string, unknown> {
  const nb = JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'two-hosts.json'), 'utf8')) as { hosts: Record<string, { ssh: string; ssh_config: string }> };
  for (const [name, h] of Object.entries(nb.hosts)) nb.hosts[name] = { ...h, ssh: `${NS.prefix}-${name}`, ssh_config: SSH_CONFIG };
  return nb;
}

test('bad hosts: unreachable, wrong key and missing nginx each fail their cell with one line, before any point starts', async () => {
  const wrongKey = join(tmp, 'wrong_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
  const wrongConfig = join(tmp, 'ssh_config_wrong_key');
  writeFileSync(wrongConfig, readFileSync(SSH_CONFIG, 'utf8').replace(/IdentityFile .*/, `IdentityFile ${wrongKey}`));
  const base = JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'two-hosts.json'), 'utf8')) as { cells: Record<string, unknown>[] };
  const cell = base.cells.find((c) => c.type === 'experiment') as Record<string, unknown>;
  const v = validateNotebook({
    format: 'saio-lab/notebook@2',
    title: 'bad hosts',
    hosts: {
      // gen2 hides nginx (netns-hosts.sh); .9 is in the subnet but nobody has it; badkey offers a key no sshd accepts.
      gen2: { ssh: `${NS.prefix}-gen2`, ssh_config: SSH_CONFIG },
      gone: { ssh: `root@${NS.subnet}.9`, ssh_config: SSH_CONFIG },
      badkey: { ssh: `${NS.prefix}-gen1`, ssh_config: wrongConfig },
    },
    cells: [
      { ...cell, id: 'missing-and-unreachable', server_host: 'gen2', driver_hosts: ['gone'] },
      { ...cell, id: 'wrong-key', server_host: 'badkey', driver_hosts: ['local'] },
    ],
  });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const store = new Store(join(tmp, 'bad.db'));
  const { notebook, revision } = createNotebook(store, 'bad-hosts', v.notebook);
  const content = loadRevision(store, revision.id);
  const runOf = async (id: string) => {
    const t0 = Date.now();
    const run = await runCell(store, {
      notebookId: notebook.id,
      revisionId: revision.id,
      cell: content.cells.find((c) => c.id === id) as ExperimentCell,
      quick: true,
      runsDir: join(tmp, 'runs'),
      hosts: content.hosts,
    });
    return { run, lines: (run.reason ?? '').split('\n'), seconds: (Date.now() - t0) / 1000 };
  };

  const a = await runOf('missing-and-unreachable');
  assert.equal(a.run.status, 'failed');
  assert.equal(a.lines[0], "the cell's hosts are not ready; no point was started:");
  assert.equal(a.lines.length, 3, a.run.reason ?? '');
  assert.match(
    a.lines[1] as string,
    new RegExp(
      `^gen2 \\(ssh://${NS.prefix}-gen2\\): nginx is not installed \\(not found on PATH, /usr/sbin or /sbin\\); it is needed for the cell's server \\(nginx; Debian: apt-get install nginx\\) — install it there$`,
    ),
  );
  assert.match(a.lines[2] as string, new RegExp(`^gone \\(ssh://root@${dots(NS.subnet)}\\.9\\): unreachable: `));
  assert.ok(a.seconds < 60, `the check is bounded (${a.seconds} s)`);

  const b = await runOf('wrong-key');
  assert.equal(b.run.status, 'failed');
  assert.equal(b.lines.length, 2, b.run.reason ?? '');
  assert.match(b.lines[1] as string, new RegExp(`^badkey \\(ssh://${NS.prefix}-gen1\\): authentication failed \\(server accepts: publickey\\)`));

  for (const r of [a.run, b.run]) {
    assert.deepEqual(store.listPoints(r.id), [], 'no point was recorded');
    assert.deepEqual(store.openProcesses(r.id), []);
    assert.deepEqual(store.openProcessHosts(r.id), []);
  }
  store.close();
  nothingLeft();
});

test("a cancelled run across hosts: the points so far are kept, nothing is left running or on disk there; pinning is checked against the role's host", async () => {
  const nb = validateNotebook(twoHostsHere());
  assert.ok(nb.ok, JSON.stringify(!nb.ok && nb.errors));
  const store = new Store(join(tmp, 'cancel.db'));
  const { notebook, revision } = createNotebook(store, 'cancel', nb.notebook);
  const content = loadRevision(store, revision.id);
  const cell = content.cells.find((c) => c.type === 'experiment') as ExperimentCell;
  const abort = new AbortController();
  let running = 0;
  const run = await runCell(store, {
    notebookId: notebook.id,
    revisionId: revision.id,
    cell,
    quick: true,
    runsDir: join(tmp, 'runs'),
    hosts: content.hosts,
    signal: abort.signal,
    onProgress: (e) => {
      // Mid-measurement of the second point: a server on srv and saio-load on gen1 run now.
      if (e.point === 2 && e.phase === 'measure' && running++ === 0) setTimeout(() => abort.abort(), 500);
    },
  });
  assert.equal(run.status, 'cancelled', run.reason ?? '');
  assert.equal(store.listPoints(run.id).length, 1, 'the first point is kept');
  assert.ok(
    store.listProcesses(run.id).some((p) => p.host === 'gen1' && p.argv[0]?.endsWith('saio-load')),
    'the second point had started its load',
  );
  nothingLeft();
  for (const name of ['srv', 'gen1']) assert.equal(existsSync(join(process.env.HOME ?? '/root', '.cache', 'saio-lab', 'runs', `${run.id}.${name}`)), false);

  // CPUs are the role's host's: one it does not have is refused before any point, naming the host.
  const pinned = await runCell(store, {
    notebookId: notebook.id,
    revisionId: revision.id,
    cell: { ...cell, pinning: { server: [4000] } },
    quick: true,
    runsDir: join(tmp, 'runs'),
    hosts: content.hosts,
  });
  assert.equal(pinned.status, 'failed');
  assert.match(pinned.reason ?? '', /\nsrv: pinning\.server names CPU 4000, but the lab may use CPUs [\d, ]+ there/);
  assert.deepEqual(store.listPoints(pinned.id), []);
  store.close();
  nothingLeft();
});

/**
 * `saio-lab replay --quick` of `doc` (written to NAME.json) into a database and an out directory of
 * its own, as CI replays a notebook; fails the test unless it exits 0. Its results.json, and how long it took.
 */
function replayQuick(name: string, doc: unknown, timeoutMs: number): { db: string; results: ResultsJson; seconds: number } {
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  const out = join(tmp, `out-${name}`);
  const db = join(tmp, `${name}.db`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'saio-lab.js'), '--db', db, 'replay', file, '--quick', '--out', out], { encoding: 'utf8', timeout: timeoutMs });
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(r.status, 0, `replay exit ${r.status} after ${seconds} s:\n${r.stdout}\n${r.stderr}`);
  return { db, results: JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsJson, seconds };
}

test('experiments/two-hosts.json: nginx on srv under saio-uring, saio-load on gen1; replay --quick exits 0, every point verified, per-host environment and placement in results.json, traffic inside the namespaces', async () => {
  const { db, results, seconds } = replayQuick('two-hosts', twoHostsHere(), 300_000);
  const run = results.runs[0];
  assert.ok(run);
  assert.equal(run.status, 'ok', run.reason ?? '');
  assert.deepEqual([...new Set(run.points.map((p) => p.backend))].sort(), ['baseline', 'saio-uring']);
  for (const p of run.points) {
    assert.equal(p.status, 'ok', `${p.backend} c=${p.connections}: ${p.reason}`);
    assert.equal(p.verified, true, `${p.backend} c=${p.connections}: ${p.reason}`);
    assert.ok((p.verification?.responses_checked ?? 0) > 0);
  }

  // Per host: what it is, its tools, its clock against the lab's, and the route load takes.
  const srv = run.hosts.find((h) => h.name === 'srv');
  const gen1 = run.hosts.find((h) => h.name === 'gen1');
  assert.ok(srv && gen1, JSON.stringify(run.hosts));
  assert.deepEqual(srv.roles, ['server']);
  assert.deepEqual(gen1.roles, ['driver']);
  assert.match(srv.environment?.tools.nginx ?? '', /^nginx\/\d/);
  assert.match(gen1.environment?.tools['saio-load'] ?? '', /^saio-load .*binary sha256/);
  for (const h of [srv, gen1]) {
    assert.equal(h.kind, 'ssh');
    assert.ok((h.environment?.cpus ?? 0) > 0 && (h.environment?.kernel ?? '') !== '');
    // One kernel under every namespace: the offset is zero within the estimate's uncertainty.
    assert.ok(h.clock_offset && Math.abs(h.clock_offset.offset_ms) <= h.clock_offset.uncertainty_ms + 50, JSON.stringify(h.clock_offset));
  }
  assert.equal(gen1.network_path?.to, `${NS.subnet}.2`);
  assert.equal(gen1.network_path?.source, `${NS.subnet}.3`);
  assert.equal(gen1.network_path?.link_kind, 'veth');

  // Placement: the server's threads sampled on srv, the load generator's on gen1, for every point.
  const measured = new Set(run.points.map((p) => p.id));
  for (const [host, role, comm] of [
    ['srv', 'server', 'nginx'],
    ['gen1', 'driver', 'saio-load'],
  ] as const) {
    const mine: ResultsJson['runs'][number]['placement'] = run.placement.filter((s) => s.host === host && s.role === role);
    assert.ok(
      mine.some((s) => s.comm === comm),
      `${host} ${role}: ${JSON.stringify(mine.slice(0, 2))}`,
    );
    assert.deepEqual(new Set(mine.map((s) => s.point_id)), measured, `${host}: samples for every point`);
  }
  assert.equal(run.placement.filter((s) => s.host === 'local').length, 0, 'nothing of this cell ran on the lab machine');

  // CPU per point, each role read on its own host: nginx's threads on srv, saio-load's on gen1.
  for (const p of run.points) cpuOnHosts(p, 'srv', ['gen1']);

  // Every address used is inside the namespaces: where nginx listened and what saio-load was sent to.
  const store = new Store(db);
  const procs = store.listProcesses(run.id);
  assert.equal(procs.length, run.points.length * 2);
  for (const p of procs) {
    assert.equal(p.host, p.role === 'server' ? 'srv' : 'gen1');
    assert.equal(p.ended, true);
  }
  const urls = procs.filter((p) => p.role === 'driver').map((p) => p.argv.at(-1) as string);
  for (const u of urls) assert.ok(inSubnet(new URL(u).hostname), u);
  const confs = store.listArtifacts(run.id).filter((a) => a.name === 'nginx.conf');
  assert.equal(confs.length, run.points.length);
  for (const c of confs) {
    const listen = /listen (\S+):\d+/.exec(store.artifactContent(c.id)?.toString('utf8') ?? '')?.[1] ?? '';
    assert.ok(inSubnet(listen), `nginx listened on ${listen}`);
  }
  // libsaio ran on srv (its statistics came back from there) for the saio-uring points.
  const uringPoints = run.points.filter((p) => p.backend === 'saio-uring').map((p) => p.id);
  for (const id of uringPoints)
    assert.ok(
      store.listArtifacts(run.id).some((a) => a.point_id === id && a.kind === 'preload-stats'),
      `libsaio statistics of point ${id}`,
    );
  store.close();

  // Nothing left: no process in any namespace but its sshd, no run directory on either host.
  nothingLeft();
  for (const name of ['srv', 'gen1']) assert.equal(existsSync(join(process.env.HOME ?? '/root', '.cache', 'saio-lab', 'runs', `${run.id}.${name}`)), false);
  assert.ok(seconds < 240, `bounded: ${seconds} s`);
});

/** The shipped three-hosts notebook (nginx on srv, load split between gen1 and gen2), its hosts pointed at this suite's namespaces. */
function threeHostsHere(): Record<string, unknown> {
  const nb = JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'three-hosts.json'), 'utf8')) as { hosts: Record<string, { ssh: string; ssh_config: string }> };
  for (const [name, h] of Object.entries(nb.hosts)) nb.hosts[name] = { ...h, ssh: `${NS.prefix}-${name}`, ssh_config: SSH_CONFIG };
  return nb;
}

/** A point's CPU was counted where each role ran: server threads on `server`, load generator threads on each of `generators`. */
function cpuOnHosts(p: ResultsJson['runs'][number]['points'][number], server: string, generators: string[]): void {
  const what = `${p.backend} c=${p.connections}`;
  const cpu = p.cpu;
  assert.ok(cpu, `${what}: no CPU (${p.warnings.join('; ')})`);
  assert.ok(!p.warnings.some((w) => w.startsWith('CPU not measured')), `${what}: ${p.warnings.join('; ')}`);
  assert.ok(cpu.server_s > 0 && cpu.loadgen_s > 0, `${what}: server ${cpu.server_s} s, load ${cpu.loadgen_s} s`);
  assert.ok((p.requests_per_cpu_s ?? 0) > 0, `${what}: requests per CPU second ${p.requests_per_cpu_s}`);
  const threads = cpu.threads;
  assert.ok(
    threads.some((t) => t.comm === 'nginx' && t.class === 'server' && t.host === server && t.total_s > 0),
    `${what}: nginx's threads on ${server}: ${JSON.stringify(threads)}`,
  );
  for (const t of threads.filter((x) => x.class !== 'loadgen')) assert.equal(t.host, server, `${what}: ${t.comm} (${t.class}) on ${t.host}`);
  for (const g of generators)
    assert.ok(
      threads.some((t) => t.class === 'loadgen' && t.comm === 'saio-load' && t.host === g),
      `${what}: saio-load's threads on ${g}: ${JSON.stringify(threads)}`,
    );
  assert.ok(
    threads.filter((t) => t.class === 'loadgen').every((t) => generators.includes(t.host ?? 'local')),
    `${what}: load generator threads only on ${generators.join(', ')}`,
  );
}

interface RawDoc {
  connections: number;
  requests: number;
  requests_per_s: number;
  offered_per_s?: number | null;
  errors: Record<string, number>;
  mismatched: number;
  verified: number;
  t0_unix_ns: number;
  warmup_s: number;
  url: string;
}

test('experiments/three-hosts.json: nginx on srv, saio-load on gen1 and gen2 at once; every point verified, the merged numbers are the sum and the exact merge of the raw outputs, the windows coincide', async () => {
  const { db, results, seconds } = replayQuick('three-hosts', threeHostsHere(), 400_000);
  assert.equal(results.runs.length, 2);
  const store = new Store(db);
  const raw = join(tmp, 'raw-three');
  mkdirSync(raw, { recursive: true });
  let checked = 0;
  for (const run of results.runs) {
    assert.equal(run.status, 'ok', run.reason ?? '');
    assert.deepEqual(run.hosts.map((h) => [h.name, h.roles]).sort(), [
      ['gen1', ['driver']],
      ['gen2', ['driver']],
      ['srv', ['server']],
    ]);
    const artifacts = store.listArtifacts(run.id);
    for (const p of run.points) {
      assert.equal(p.status, 'ok', `${p.backend} c=${p.connections}: ${p.reason}`);
      assert.equal(p.verified, true, `${p.backend} c=${p.connections}: ${p.reason}`);
      // Each generator's own document, read here as plain JSON (not through the lab's parser).
      const docs = ['gen1', 'gen2'].map((h) => {
        const a = artifacts.find((x) => x.point_id === p.id && x.name === `driver.${h}.stdout`);
        assert.ok(a, `point ${p.id}: driver.${h}.stdout kept`);
        const text = store.artifactContent(a.id)?.toString('utf8') ?? '';
        writeFileSync(join(raw, `${p.id}.${h}.json`), text);
        return JSON.parse(text) as RawDoc;
      });
      const [g1, g2] = docs as [RawDoc, RawDoc];
      // The split: 7 connections are 4 + 3; 3001/s over 3 + 3 connections is 1501 + 1500.
      assert.deepEqual([g1.connections, g2.connections], p.connections === 7 ? [4, 3] : [3, 3]);
      if (p.rate_per_s !== null) assert.deepEqual([g1.offered_per_s, g2.offered_per_s], [1501, 1500]);
      for (const d of docs) assert.ok(inSubnet(new URL(d.url).hostname), d.url);
      const load = p.load;
      assert.ok(load);
      assert.equal(load.requests, g1.requests + g2.requests);
      assert.ok(Math.abs((p.requests_per_s ?? 0) - (g1.requests_per_s + g2.requests_per_s)) < 1e-6, 'achieved rate = the sum');
      if (p.rate_per_s !== null) assert.equal(p.offered_per_s, (g1.offered_per_s ?? 0) + (g2.offered_per_s ?? 0));
      assert.equal(load.mismatched, g1.mismatched + g2.mismatched);
      assert.equal(load.verified, g1.verified + g2.verified);
      const errs = (d: RawDoc) => Object.values(d.errors).reduce((a, b) => a + b, 0);
      assert.equal(
        Object.values(load.errors).reduce((a, b) => a + b, 0),
        errs(g1) + errs(g2),
      );
      // Latency percentiles: exactly what saio-load --merge computes from the two raw files.
      const merge = spawnSync(join(repoRoot(), 'native', 'build', 'saio-load'), ['--merge', join(raw, `${p.id}.gen1.json`), join(raw, `${p.id}.gen2.json`)], { encoding: 'utf8' });
      assert.equal(merge.status, 0, merge.stderr);
      const m = JSON.parse(merge.stdout) as { requests: number; latency_us: Record<string, number> };
      assert.equal(m.requests, load.requests);
      assert.deepEqual({ ...load.latency_us }, { ...m.latency_us });
      assert.equal(p.latency_p99_us, m.latency_us.p99);
      // One window: the two loads began within 50 ms of each other (one kernel: one clock).
      const skewMs = Math.abs(g1.t0_unix_ns - g2.t0_unix_ns) / 1e6;
      assert.ok(skewMs < 50, `windows began ${skewMs} ms apart: ${JSON.stringify(docs.map((d) => [(d as unknown as { start_at_ms: number }).start_at_ms, d.t0_unix_ns]))}`);
      assert.ok(!load.warnings.some((w) => /apart|did not say/.test(w)), JSON.stringify(load.warnings));
      assert.deepEqual(
        load.generators?.map((g) => g.host),
        ['gen1', 'gen2'],
      );
      // CPU: nginx on srv, each generator's share on its own host, summed.
      cpuOnHosts(p, 'srv', ['gen1', 'gen2']);
      checked++;
    }
    // Both generators ran for every point, on their own hosts, and were sampled there.
    const procs = store.listProcesses(run.id);
    for (const h of ['gen1', 'gen2']) {
      assert.equal(procs.filter((q) => q.role === 'driver' && q.host === h).length, run.points.length, h);
      const ids = new Set(run.placement.filter((s) => s.host === h && s.role === 'driver' && s.comm === 'saio-load').map((s) => s.point_id));
      assert.deepEqual(ids, new Set(run.points.map((q) => q.id)), `${h}: placement samples for every point`);
    }
    assert.ok(procs.every((q) => q.ended));
  }
  assert.equal(checked, 3);
  store.close();
  nothingLeft();
  for (const run of results.runs) for (const name of ['srv', 'gen1', 'gen2']) assert.equal(existsSync(join(process.env.HOME ?? '/root', '.cache', 'saio-lab', 'runs', `${run.id}.${name}`)), false);
  console.log(`three-host replay: ${seconds} s`);
});

test('the lab SIGKILLed mid-run: the next lab start stops what it left on each host and removes its directories there, one line per host, with no manual cleanup', async () => {
  const file = join(tmp, 'two-hosts-killed.json');
  writeFileSync(file, JSON.stringify(twoHostsHere(), null, 2));
  const db = join(tmp, 'killed.db');
  const lab = spawn(process.execPath, [join(repoRoot(), 'bin', 'saio-lab.js'), '--db', db, 'replay', file, '--quick', '--out', join(tmp, 'out-killed')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  const inPoint = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no second point within 120 s:\n${said}`)), 120_000);
    const on = (b: Buffer) => {
      said += b.toString('utf8');
      if (/point 2\/4/.test(said)) {
        clearTimeout(timer);
        resolve();
      }
    };
    lab.stdout.on('data', on);
    lab.stderr.on('data', on);
  });
  await inPoint;
  // Mid-point: a server on srv and a load generator on gen1 are running now.
  await new Promise((r) => setTimeout(r, 700));
  const running = hosts.filter((h) => ['srv', 'gen1'].includes(h.name)).flatMap((h) => strangersIn(h, NS));
  lab.kill('SIGKILL');
  await new Promise((r) => lab.once('exit', r));
  assert.ok(running.length > 0, 'the run had processes in the namespaces when the lab was killed');
  const runDir = (id: string, name: string) => join(process.env.HOME ?? '/root', '.cache', 'saio-lab', 'runs', `${id}.${name}`);

  // The next start of the lab (any command): recovery here, then on every host the run used.
  const t0 = Date.now();
  const next = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'saio-lab.js'), '--db', db, 'list'], { encoding: 'utf8', timeout: 120_000 });
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, /was left running by a lab that died: marked interrupted/);
  const lines = next.stderr.split('\n').filter((l) => / on (srv|gen1) \(/.test(l));
  assert.equal(lines.length, 2, next.stderr);
  for (const l of lines)
    assert.match(
      l,
      new RegExp(
        `^saio-lab: run [0-9a-f]{8} on (srv|gen1) \\(${NS.prefix}-(srv|gen1)\\): (stopped \\d+ process group\\(s\\) the run left \\(.*\\)|nothing of the run was still running); its directory there was removed$`,
      ),
    );
  assert.ok(seconds < 60, `bounded: ${seconds} s`);
  // Nothing left, and nobody cleaned up by hand: no process but the sshds, no run directory.
  nothingLeft();
  const store = new Store(db);
  const run = store.listRuns(store.listNotebooks()[0]?.id as string)[0];
  assert.equal(run?.status, 'interrupted');
  const note = store.listArtifacts(run?.id as string).find((a) => a.kind === 'remote-recovery');
  assert.ok(note, 'what recovery did there is kept with the run');
  assert.match(store.artifactContent(note.id)?.toString('utf8') ?? '', new RegExp(`^srv \\(${NS.prefix}-srv\\): .*removed$`, 'm'));
  assert.ok(
    store.listProcesses(run?.id as string).every((p) => p.ended),
    'every process of the run is known to have ended',
  );
  store.close();
  for (const name of ['srv', 'gen1']) assert.equal(existsSync(runDir(run?.id as string, name)), false, `${name}: the run's directory is gone`);
  console.log(`recovery on two hosts after SIGKILL: ${seconds} s`);
});

export type { NetnsHost };
