// The saio-lab command as a user runs it: the quickstart replay against real nginx and wrk, its
// outputs (opened in a real Chromium), export → import into an empty database, and bad input.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { saioKmod } from '../engine/backends/saio-kmod';
import { cannotLoadModules, hostFacts } from '../engine/kmod/host';
import { Lab } from '../engine/lab';
import { escapeHtml } from '../engine/common/format';
import { renderedDom } from './chromium';
import { repoRoot } from '../engine/paths';

const dir = mkdtempSync(join(tmpdir(), 'saio-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(repoRoot(), 'bin', 'saio-lab.js');
const quickstart = join(repoRoot(), 'experiments', 'quickstart.json');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const db = join(dir, 'lab.db');
const out = join(dir, 'out');
let replayed: Ran;

before(async () => {
  replayed = await cli(['--db', db, 'replay', quickstart, '--out', out, '--quick']);
});

test('replay of the quickstart exits 0 with every point verified and requests/s > 0', () => {
  assert.equal(replayed.code, 0, replayed.stderr + replayed.stdout);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.runs.length, 1);
  const [run] = results.runs;
  assert.equal(run.status, 'ok');
  for (const k of ['kernel', 'cpus', 'server_version', 'git_commit']) assert.ok(k in run.environment, k);
  assert.match(run.environment.git_commit, /^[0-9a-f]{40}$/);
  assert.equal(run.points.length, 16, '4 connection counts × 2 repeats × 2 backends');
  assert.deepEqual([...new Set(run.points.map((p: { backend: string }) => p.backend))], ['baseline', 'saio-uring']);
  assert.deepEqual([...new Set(run.points.map((p: { connections: number }) => p.connections))], [10, 50, 100, 200]);
  for (const p of run.points) {
    assert.equal(p.verified, true, JSON.stringify(p));
    assert.ok(p.requests_per_s > 0, JSON.stringify(p));
    for (const k of ['backend', 'connections', 'repeat', 'latency_p50_us', 'latency_p99_us', 'errors']) assert.ok(k in p, k);
  }
  assert.ok(run.placement.length > 0);
  for (const k of ['pid', 'tid', 'comm', 'cpu', 'time']) assert.ok(k in run.placement[0], k);
  assert.ok(run.placement.some((s: { comm: string }) => s.comm === 'nginx'));

  // Each saio-uring point carries libsaio's statistics, and they show the calls were deferred.
  const lab = new Lab(db);
  try {
    const [stored] = lab.runs('quickstart');
    const arts = lab.store.listArtifacts(stored!.id).filter((a) => a.kind === 'preload-stats');
    const points = lab.runResults(stored!.id).points;
    for (const p of points.filter((x) => x.backend === 'saio-uring')) {
      const stats = arts.filter((a) => a.point_id === p.id).map((a) => JSON.parse(lab.store.artifactContent(a.id)!.toString()));
      assert.ok(stats.length >= 2, 'one stats file per nginx process (master and worker)');
      assert.ok(stats.every((st) => st.backend === 'uring'));
      const deferred = stats.reduce((n, st) => n + st.ops_deferred, 0);
      assert.ok(deferred > 0 && stats.some((st) => st.batches > 0), `point ${p.seq}: ${JSON.stringify(stats)}`);
    }
    assert.ok(
      arts.every((a) => points.find((p) => p.id === a.point_id)?.backend === 'saio-uring'),
      'baseline points carry no stats',
    );
  } finally {
    lab.close();
  }

  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split(/\r?\n/);
  assert.equal(csv.length, 1 + 16);

  // Issue 12: CPU of every point, summaries per configuration and metric, comparisons with verdicts.
  assert.equal(results.format, 'saio-lab/results@3');
  for (const p of run.points) {
    assert.ok(p.cpu.server_s > 0 && p.requests_per_cpu_s > 0, JSON.stringify(p.cpu));
    assert.ok(
      p.cpu.threads.some((t: { comm: string; class: string }) => t.comm === 'nginx' && t.class === 'server'),
      "nginx's worker thread is counted",
    );
  }
  const metrics = new Set(results.summaries.map((x: { metric: string }) => x.metric));
  for (const m of ['requests_per_s', 'requests_per_cpu_s', 'latency_p50_us', 'latency_p99_us', 'latency_p999_us']) assert.ok(metrics.has(m), m);
  const s = results.summaries.find((x: { backend: string; config: string; metric: string }) => x.backend === 'baseline' && x.config === 'w=1 c=100 closed' && x.metric === 'requests_per_s');
  for (const k of ['config', 'n', 'median', 'ci_low', 'ci_high', 'cv', 'min', 'max', 'samples']) assert.ok(k in s, k);
  assert.equal(s.n, 2);
  assert.equal(s.ci_low, null, 'two repeats: no 95% interval of the median');
  assert.equal(results.comparisons.length, 4 * 5, 'saio-uring against baseline: 4 configurations × 5 metrics');
  for (const c of results.comparisons) {
    for (const k of ['config', 'backend', 'reference', 'metric', 'ratio', 'ci_low', 'ci_high', 'p_value', 'verdict']) assert.ok(k in c, k);
    assert.equal(c.reference, 'baseline');
    assert.equal(c.verdict, '~', 'two pairs cannot show a difference');
  }
  assert.ok(readFileSync(join(out, 'comparisons.csv'), 'utf8').startsWith('run_id,cell_id,config,backend,reference,metric,ratio,ci_low,ci_high,p_value,verdict'));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const firstTable = html.indexOf('<table');
  assert.ok(firstTable > html.indexOf('<section class="cell comparisons"') && html.indexOf('<section class="cell comparisons"') > 0, 'the comparison table comes first');
  assert.match(html.slice(firstTable, html.indexOf('</table>', firstTable)), /<th class="wide">verdict<\/th>[^]*saio-uring[^]*class="verdict-none"/);
  assert.match(replayed.stdout, /replay took \d+\.\d s/);
  assert.match(replayed.stderr, /point 16\/16/);
});

test('report.html draws the requests/s plot in a real browser, offline', () => {
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(!/<script[^>]+src=|<link[^>]+href="http/.test(html), 'self-contained: no external scripts or styles');
  const dom = renderedDom(join(out, 'report.html'), dir, 10_000);
  const plot = dom.slice(dom.indexOf('id="plot-throughput"'));
  assert.ok(plot.length > 0, 'the throughput plot element exists');
  // Plotly replaces the empty div with its SVG: one marker per point and repeat.
  const firstPlot = plot.slice(0, plot.indexOf('id="plot-tail-latency"'));
  assert.match(firstPlot, /class="main-svg"/);
  assert.equal((firstPlot.match(/<path class="point[ "]/g) ?? []).length, 16);
});

test('export → import into an empty database gives the same notebook, revisions and runs', async () => {
  const bundle = join(dir, 'quickstart.saiolab');
  const exp = await cli(['--db', db, 'export', 'quickstart', '-o', bundle]);
  assert.equal(exp.code, 0, exp.stderr);
  const db2 = join(dir, 'empty.db');
  const imp = await cli(['--db', db2, 'import', bundle]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /1 revisions added .* 1 runs added/);
  const again = await cli(['--db', db2, 'import', bundle]);
  assert.match(again.stdout, /0 revisions added \(1 already present\), 0 runs added \(1 already present\)/);

  const a = new Lab(db);
  const b = new Lab(db2);
  try {
    assert.deepEqual(b.listNotebooks(), a.listNotebooks());
    assert.deepEqual(b.history('quickstart'), a.history('quickstart'));
    assert.deepEqual(b.content('quickstart').content, a.content('quickstart').content);
    assert.deepEqual(b.runs('quickstart'), a.runs('quickstart'));
    const [run] = a.runs('quickstart');
    const ra = a.runResults(run!.id);
    const rb = b.runResults(run!.id);
    const withoutIds = <T extends { id?: number; point_id?: number | null }>(xs: T[]) => xs.map(({ id: _i, point_id: _p, ...rest }) => rest);
    assert.deepEqual(withoutIds(rb.points), withoutIds(ra.points));
    assert.deepEqual(rb.environment, ra.environment);
    assert.deepEqual(withoutIds(rb.placement), withoutIds(ra.placement));
    const arts = (l: Lab) => l.store.listArtifacts(run!.id).map((x) => [x.kind, x.name, x.sha256, l.store.artifactContent(x.id)?.length]);
    assert.deepEqual(arts(b), arts(a));
  } finally {
    a.close();
    b.close();
  }
});

test('replaying a bundle with --gate compares every configuration with the run the bundle carried (same machine)', async () => {
  const db3 = join(dir, 'replay-bundle.db');
  const out3 = join(dir, 'out-bundle');
  const junit = join(dir, 'bundle-gate.xml');
  const r = await cli(['--db', db3, 'replay', join(dir, 'quickstart.saiolab'), '--out', out3, '--quick', '--gate', '--junit', junit]);
  // Two repeats a side cannot reach α = 0.01: the gate compares but cannot fail, and says so.
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const results = JSON.parse(readFileSync(join(out3, 'results.json'), 'utf8'));
  const [g] = results.gates;
  assert.ok(g.previous_run && g.previous_run !== results.runs[0].id, "the bundle's run");
  assert.equal(g.result.cases.length, 8 * 3, 'per backend and connection count: requests/s, requests per CPU second, p50');
  assert.ok(g.result.cases.every((c: { status: string; message: string }) => c.status === 'pass' && (c.message.startsWith('no regression') || /cannot reach α = 0\.01/.test(c.message))));
  assert.match(readFileSync(junit, 'utf8'), /<testcase classname="nginx-keepalive: saio-uring w=1 c=200 closed" name="requests_per_s"/);
  const bad = await cli(['--db', db3, 'replay', quickstart, '--out', out3, '--gate', '--threshold', '200%']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--threshold takes a fraction or a percentage between 0 and 100%/);
  const loose = await cli(['--db', db3, 'replay', quickstart, '--out', out3, '--junit', junit]);
  assert.equal(loose.code, 2);
  assert.match(loose.stderr, /--threshold, --junit and --summary go with --gate/);
});

test('a bundle written before issue 11 (version 1, wrk points) replays: its revision runs again; the gate finds its run from another machine not comparable and passes, saying why', async () => {
  const db4 = join(dir, 'replay-legacy.db');
  const out4 = join(dir, 'out-legacy');
  const r = await cli(['--db', db4, 'replay', join(repoRoot(), 'tests', 'fixtures', 'legacy-v1', 'legacy-v1.saiolab'), '--out', out4, '--quick', '--gate']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const results = JSON.parse(readFileSync(join(out4, 'results.json'), 'utf8'));
  assert.equal(results.format, 'saio-lab/results@3');
  assert.equal(results.notebook.content.format, 'saio-lab/notebook@2', 'the format-1 notebook, read as format 2');
  const [g] = results.gates;
  if (g.previous_run === null) assert.match(g.result.message, /gate passed without comparing: no earlier finished quick run|on this machine/);
  else {
    // Recorded on this machine: compared; its points had no CPU measured, so those cases are skipped.
    assert.equal(g.result.cases.length, 8 * 3);
    assert.equal(g.result.cases.filter((c: { status: string; metric: string }) => c.status === 'skipped' && c.metric === 'requests_per_cpu_s').length, 8);
  }
  const keys = [...new Set(results.comparisons.map((c: { backend: string; config: string }) => `${c.backend} ${c.config}`))].sort();
  assert.deepEqual(keys, ['saio-sync w=1 c=10 closed', 'saio-sync w=1 c=20 closed', 'saio-sync w=2 c=10 closed', 'saio-sync w=2 c=20 closed']);
  assert.ok(
    results.comparisons.every((c: { reference: string; aa: boolean }) => c.reference === 'baseline' && c.aa),
    'saio-sync against baseline is an A/A pair',
  );
  assert.ok(results.runs[0].points.every((p: { verified: boolean; load: { driver: string } }) => p.verified && p.load.driver === 'wrk'));
});

test('replay on a host that cannot load modules: saio-kmod points are skipped with the reason in the output and the report, and replay succeeds', async (t) => {
  const why = cannotLoadModules(hostFacts());
  if (why === null) return t.skip('this host can load modules: replay would build and load saio.ko for real');
  const reason = saioKmod.unavailable() ?? '';
  const nb = JSON.parse(readFileSync(quickstart, 'utf8'));
  nb.title = 'kmod on this host';
  nb.cells[1].backends = ['baseline', 'saio-kmod'];
  nb.cells[1].sweep.connections = [10];
  nb.cells[1].repeats = 1;
  nb.cells[1].kmod = { mode: 'worker', workers: 2, cpus: 'local', idle_us: 50, module_params: { default_idle_us: 200 } };
  const file = join(dir, 'kmod.json');
  writeFileSync(file, JSON.stringify(nb));
  const outK = join(dir, 'out-kmod');
  const r = await cli(['--db', join(dir, 'kmod.db'), 'replay', file, '--out', outK, '--quick']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`ok \\(quick\\) \\S+ — 1 of 2 points skipped: ${escapeRe(reason)}\\n`));
  const row = r.stdout.split('\n').find((l) => /^2\s+saio-kmod\s/.test(l)) ?? '';
  assert.match(row, new RegExp(`\\sskipped\\s+${escapeRe(reason)}$`), row);
  assert.match(r.stderr, new RegExp(`point 2/2 saio-kmod c=10 w=1 #1: skipped \\(${escapeRe(reason)}\\) .*\\(skipped\\)\\n`));
  const results = JSON.parse(readFileSync(join(outK, 'results.json'), 'utf8'));
  const kp = results.runs[0].points.find((p: { backend: string }) => p.backend === 'saio-kmod');
  assert.deepEqual([kp.status, kp.reason], ['skipped', reason]);
  const html = readFileSync(join(outK, 'report.html'), 'utf8');
  const tr = html.split('<tr').find((x) => x.includes('class="status-skipped"')) ?? '';
  assert.ok(tr.includes('<code>saio-kmod</code>') && tr.includes(escapeHtml(reason)), tr);
  assert.match(html, /worker mode; 2 kernel workers; each next to its submitter; spin 50 µs before sleeping; insmod saio\.ko default_idle_us=200/);
});

function escapeRe(x: string): string {
  return x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('history, diff and restore through the CLI', async () => {
  const nb = JSON.parse(readFileSync(quickstart, 'utf8'));
  nb.cells[1].sweep.connections = [10, 20];
  const edited = join(dir, 'quickstart.json');
  writeFileSync(edited, JSON.stringify(nb));
  const saved = await cli(['--db', db, 'save', edited, '-m', 'fewer connections']);
  assert.equal(saved.code, 0, saved.stderr);
  const hist = await cli(['--db', db, 'history', 'quickstart']);
  const revs = [...hist.stdout.matchAll(/^([0-9a-f]{12})\s/gm)].map((m) => m[1]!);
  assert.equal(revs.length, 2, hist.stdout);
  const diff = await cli(['--db', db, 'diff', 'quickstart', revs[1]!, revs[0]!]);
  assert.match(diff.stdout, /~ cells\[1\]\.sweep\.connections: \[10,50,100,200\] → \[10,20\]/);
  const restored = await cli(['--db', db, 'restore', 'quickstart', revs[1]!]);
  assert.match(restored.stdout, /restored as new revision/);
  const cat = await cli(['--db', db, 'cat', 'quickstart']);
  assert.deepEqual(JSON.parse(cat.stdout).cells[1].sweep.connections, [10, 50, 100, 200]);
  const list = await cli(['--db', db, 'list']);
  assert.match(list.stdout, /quickstart\s+\S+\s+\S+\s+3\s+1\s/);
});

test('bad input: clear errors, exit 2, no stack trace, nothing written', async () => {
  const bad = join(dir, 'bad.json');
  const nb = JSON.parse(readFileSync(quickstart, 'utf8'));
  nb.cells[1].sweep.connections[1] = -5;
  writeFileSync(bad, JSON.stringify(nb));
  const before = await cli(['--db', db, 'list']);
  const r = await cli(['--db', db, 'replay', bad, '--out', join(dir, 'bad-out')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.json is not a valid notebook:\n\s+cells\[1\]\.sweep\.connections\[1\]: expected a number ≥ 1, found number -5/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal((await cli(['--db', db, 'list'])).stdout, before.stdout);

  const missing = await cli(['--db', db, 'replay', join(dir, 'nope.json'), '--out', out]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json: no such file/);
  const junk = join(dir, 'junk.saiolab');
  writeFileSync(junk, 'not a bundle');
  const badBundle = await cli(['--db', db, 'import', junk]);
  assert.equal(badBundle.code, 2);
  assert.ok(badBundle.stderr.startsWith(`saio-lab import: ${junk}`), badBundle.stderr);
  const noBundle = await cli(['--db', db, 'import', join(dir, 'nope.saiolab')]);
  assert.equal(noBundle.code, 2);
  assert.match(noBundle.stderr, /nope\.saiolab: ENOENT/);
  const noOut = await cli(['--db', db, 'replay', quickstart]);
  assert.equal(noOut.code, 2);
  assert.match(noOut.stderr, /replay needs --out DIR/);
  const unknown = await cli(['--db', db, 'show', 'no-such-notebook']);
  assert.match(unknown.stderr, /no notebook "no-such-notebook"/);
  assert.equal((await cli(['frobnicate'])).code, 2);
});

test('the database path comes from --db, then SAIO_LAB_DB, then XDG_DATA_HOME', async () => {
  const viaEnv = join(dir, 'env.db');
  await cli(['save', quickstart], { SAIO_LAB_DB: viaEnv });
  assert.match((await cli(['--db', viaEnv, 'list'])).stdout, /quickstart/);
  const xdg = join(dir, 'xdg');
  await cli(['save', quickstart], { SAIO_LAB_DB: '', XDG_DATA_HOME: xdg });
  assert.match((await cli(['--db', join(xdg, 'saio-lab', 'lab.db'), 'list'])).stdout, /quickstart/);
});

test('run goes through the API as the UI does: progress from its events, an unknown cell refused, Ctrl-C cancels and the run is kept as cancelled', async () => {
  const unknown = await cli(['--db', db, 'run', 'quickstart', '--cell', 'no-such-cell']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /quickstart" has no experiment cell "no-such-cell"/);

  const child = spawn(process.execPath, [bin, '--db', db, 'run', 'quickstart', '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  // The first finished point's progress line (from the job's events) is the cue to interrupt.
  const firstPoint = new Promise<void>((resolve) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/\[nginx-keepalive\] point 1\//.test(stderr)) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await Promise.race([firstPoint, exited]);
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 1, `${stderr}\n${stdout}`);
  assert.match(stderr, /SIGINT: cancelling/);
  assert.match(stdout, /run \S+ \[nginx-keepalive\] cancelled \(quick\)/);
  const list = new Lab(db);
  try {
    const [latest] = list.runs('quickstart').slice(-1);
    assert.equal(latest?.status, 'cancelled');
    assert.ok(list.runResults(latest.id).points.length >= 1, 'the points measured before Ctrl-C are kept');
  } finally {
    list.close();
  }
});
