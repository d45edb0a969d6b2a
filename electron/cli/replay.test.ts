// `replay` is a client of the API's handler map, like every other command: driven here by a fake
// map (each call through the real dispatch, so the contract's schemas check what the CLI sends),
// it brings the file in (notebooks.create, or bundles.import for a bundle), runs the notebook as a
// job (runs.start, progress from the job's events), asks runs.report for the report, writes the
// report files and judges the gate it carries: exit 1 on a regression, 0 without. A command has
// no lab to reach past the map: CommandContext holds only the API (the compiler checks the fake).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { methods, type Input, type JobInfo, type LabEvent, type Method, type Outputs } from '../api/contract';
import type { Handlers } from '../api/handlers';
import type { CellGate } from '../engine/common/results';
import { gate, type GateSeries } from '../engine/common/stats/gate';
import { repoRoot } from '../engine/paths';
import { fixture } from '../engine/report/fixture';
import { handlerClient } from './client';
import { commands, type CommandContext } from './commands';

const dir = mkdtempSync(join(tmpdir(), 'saio-replay-map-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const replayed = fixture();
const content = replayed.notebook.content;
const RUN = replayed.runs[0]!.run.id;
const okRun = { ...replayed.runs[0]!, run: { ...replayed.runs[0]!.run, status: 'ok' as const, reason: null } };
const notebook = { id: 'nb-0001', name: 'nb', created_at: '2025-03-01T09:00:00.000Z', head_revision_id: 'rev-0001' };
const revision = { id: 'rev-0001', notebook_id: notebook.id, parent_id: null, content_sha256: 'a'.repeat(64), message: 'Create from nb.json', created_at: notebook.created_at };

const series = (scale: number): GateSeries[] => [{ config: 'baseline w=1 c=10 closed', metric: 'requests_per_s', samples: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => scale * (1000 + i)) }];
/** The gate of the fixture's cell: against a previous run `scale` times as fast (2: a regression) or none. */
const cellGate = (previousScale: number | null): CellGate => ({
  cell_id: 'sweep',
  run_id: RUN,
  previous_run: previousScale === null ? null : 'run-earlier',
  result: gate(previousScale === null ? null : series(previousScale), series(1), { threshold: 0.1 }),
});

interface Driven {
  code: number;
  out: string;
  err: string;
  calls: { method: string; input: unknown }[];
}

/** Run `saio-lab replay` in process against a fake handler map; `job` is how the job ends. */
async function replay(args: string[], o: { gates?: CellGate[]; job?: Partial<JobInfo>; opts?: CommandContext['opts']; calls?: Driven['calls'] } = {}): Promise<Driven> {
  const calls = o.calls ?? [];
  const listeners = new Set<(e: LabEvent) => void>();
  const publish = (e: LabEvent) => listeners.forEach((l) => l(e));
  const job: JobInfo = { job: 'job-1', notebook_id: notebook.id, state: 'running', runs: [], last_progress: null, error: null };
  const fake: { [M in Method]?: (input: Input<M>) => Outputs[M] } = {
    'notebooks.list': () => [],
    'notebooks.create': () => ({ notebook, revision }),
    'bundles.import': () => ({ notebook, revisions_added: 1, revisions_present: 0, runs_added: 1, runs_present: 0, head_moved: true }),
    'notebooks.get': () => ({ notebook, revision, content }),
    'runs.start': () => {
      setImmediate(() => {
        publish({ type: 'progress', job: job.job, event: { run_id: RUN, cell_id: 'sweep', point: 1, points: 1, phase: 'done', label: 'baseline c=10', elapsed_s: 1, eta_s: 0 } });
        publish({ type: 'job', job: { ...job, state: 'done', runs: [RUN], ...o.job } });
      });
      return job;
    },
    'runs.report': () => {
      const { elapsed_s: _wall, ...report } = replayed;
      return { ...report, runs: [okRun], gates: o.gates ?? [] };
    },
    'runs.get': () => okRun,
  };
  const handlers = Object.fromEntries(
    methods.map((m) => [
      m,
      async (input: unknown) => {
        calls.push({ method: m, input });
        const h = fake[m] as ((input: unknown) => unknown) | undefined;
        if (!h) throw new Error(`replay called ${m}`);
        return h(input);
      },
    ]),
  ) as Handlers;
  const api = handlerClient(handlers, (l) => (listeners.add(l), () => void listeners.delete(l)));
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (chunk, _enc, done) => (add(String(chunk)), done()) });
  const ctx: CommandContext = {
    call: api.call,
    subscribe: api.subscribe,
    args,
    opts: o.opts ?? {},
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
  };
  const code = await commands.replay!(ctx);
  return { code, out, err, calls };
}

// A real notebook file (the fake map answers with the fixture's notebook whatever it is sent).
const quickstart = JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'quickstart.json'), 'utf8'));
const nbFile = join(dir, 'nb.json');
writeFileSync(nbFile, JSON.stringify(quickstart));

test('replay of a notebook file: create, get, runs.start, runs.report (with the gate), runs.get; the report files are what runs.report returned', async () => {
  const outDir = join(dir, 'out');
  const r = await replay([nbFile], { gates: [cellGate(null)], opts: { out: outDir, gate: true, threshold: '10%', quick: true } });
  assert.equal(r.code, 0, r.err + r.out);
  assert.deepEqual(
    r.calls.map((c) => c.method),
    ['notebooks.list', 'notebooks.create', 'notebooks.get', 'runs.start', 'runs.report', 'runs.get'],
  );
  assert.deepEqual(r.calls[3]!.input, { ref: notebook.id, quick: true });
  assert.deepEqual(r.calls[4]!.input, { ref: notebook.id, runs: [RUN], gate: { threshold: 0.1 } });
  const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
  assert.equal(results.format, 'saio-lab/results@3');
  assert.deepEqual(
    results.runs.map((x: { id: string }) => x.id),
    [RUN],
  );
  assert.equal(typeof results.elapsed_s, 'number', 'the wall time is the replayer’s');
  assert.equal(results.quick, true, '--quick, as the replay asked (the fixture’s runs are full ones)');
  assert.match(readFileSync(join(outDir, 'report.html'), 'utf8'), /nginx static file: baseline vs saio-uring/);
  assert.match(r.out, /gate passed without comparing/);
  assert.match(r.out, /replay took \d+\.\d s\nwrote .*results\.json/);
});

test('a regression in the report’s gate exits 1 and names the configuration; the same replay without --gate exits 0', async () => {
  const r = await replay([nbFile], { gates: [cellGate(2)], opts: { out: join(dir, 'out-regression'), gate: true } });
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /gate failed: 1 regression/);
  assert.match(r.out, /baseline w=1 c=10 closed\s+requests_per_s\s+.*regression/);
  const plain = await replay([nbFile], { opts: { out: join(dir, 'out-plain') } });
  assert.equal(plain.code, 0, plain.out);
  assert.equal((plain.calls.find((c) => c.method === 'runs.report')?.input as { gate?: unknown }).gate, undefined);
});

test('a bundle goes to bundles.import, named by its file; bad input stops before any call', async () => {
  const bundle = join(dir, 'nb.saiolab');
  const bytes = Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]);
  writeFileSync(bundle, bytes);
  const r = await replay([bundle], { opts: { out: join(dir, 'out-bundle') } });
  assert.equal(r.code, 0, r.err + r.out);
  assert.deepEqual(r.calls[0], { method: 'bundles.import', input: { data_base64: bytes.toString('base64'), file_name: bundle } });

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...quickstart, cells: [{ id: 'x', type: 'nonsense' }] }));
  const calls: Driven['calls'] = [];
  await assert.rejects(replay([bad], { opts: { out: join(dir, 'out-bad') }, calls }), (e: Error) => e.name === 'NotebookInvalidError' && e.message.startsWith(`${bad} is not a valid notebook`));
  await assert.rejects(replay([join(dir, 'nope.json')], { opts: { out: join(dir, 'out-nope') }, calls }), /nope\.json: no such file/);
  assert.deepEqual(calls, []);
});

test('a job that failed beside its runs (its runs all ok) exits 1 and says why', async () => {
  const r = await replay([nbFile], { job: { state: 'failed', error: 'cannot create the run folder: ENOSPC' }, opts: { out: join(dir, 'out-failed') } });
  assert.equal(r.code, 1);
  assert.match(r.err, /saio-lab: cannot create the run folder: ENOSPC/);
});
