// One function per CLI command. Each reads its arguments, calls the API's handler map (ctx.call,
// cli/client.ts), prints, returns the exit code. No command reaches the engine's lab or its store:
// files are theirs (a notebook or bundle read, a bundle or the report files written), the rest is
// the API's.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { accelNote, runAccel } from '../engine/common/accel';
import { METRICS, TAIL_METRICS } from '../engine/common/metrics';
import { writeFileAtomic } from '../engine/atomic-write';
import { LabError, nameFromPath, readNotebookFile } from '../engine/notebooks';
import { formatChanges } from '../engine/notebook/diff';
import { driverText, repeatsText, sweepText } from '../engine/report/describe';
import { formatBytes } from '../engine/common/format';
import { protocolText } from '../engine/common/protocols/catalog';
import { writeReplayOutputs } from '../engine/report/write';
import { combineGates } from '../engine/report/gate-run';
import type { ConfigComparison, ConfigSummary } from '../engine/common/statistics';
import { gateJUnit, gateMarkdown } from '../engine/common/stats/gate-report';
import type { PointRecord, RunRecord } from '../engine/model';
import type { ReplayResults } from '../engine/common/results';
import { isBundle } from '../engine/bundle/format';
import type { Input, JobInfo, Outputs } from '../api/contract';
import type { ApiCall, ApiClient } from './client';
import { progressPrinter } from './progress';
import { table } from './table';
import { UsageError } from './usage';

export interface CommandContext {
  /** The API, as the UI calls it, and its events: all a command has of the lab. */
  call: ApiCall;
  subscribe: ApiClient['subscribe'];
  args: string[];
  opts: {
    out?: string;
    o?: string;
    quick?: boolean;
    gate?: boolean;
    threshold?: string;
    junit?: string;
    summary?: string;
    port?: string;
    cell?: string[];
    rev?: string;
    name?: string;
    as?: string;
    m?: string;
  };
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

type Command = (ctx: CommandContext) => Promise<number>;

function arg(ctx: CommandContext, i: number, what: string): string {
  const v = ctx.args[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

const short = (id: string) => id.slice(0, 12);
const num = (v: number | null, digits = 0) => (v === null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

interface Cancellation {
  signal: AbortSignal;
  /** What Ctrl-C stops besides (the job, once it has started). */
  onCancel(stop: () => void): void;
  dispose(): void;
}

/** Cancel on Ctrl-C / SIGTERM: the runner stops everything it started and records the run. */
function cancellation(ctx: CommandContext): Cancellation {
  const ac = new AbortController();
  let stop = () => {};
  const onSignal = (sig: NodeJS.Signals) => {
    ctx.err.write(`\nsaio-lab: ${sig}: cancelling, stopping the server and load generator…\n`);
    ac.abort();
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    onCancel: (fn) => void (stop = fn),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function rateText(p: PointRecord): string {
  if (p.kind === 'probe') return 'probe';
  if (p.rate_per_s === null) return p.rate_of_capacity === null ? 'closed' : `${p.rate_of_capacity}cap`;
  return p.rate_of_capacity === null ? num(p.rate_per_s) : `${num(p.rate_per_s)} (${p.rate_of_capacity}cap)`;
}

// A terminal is narrow: the median and the tail.
const CLI_LATENCIES = ['latency_p50_us', ...TAIL_METRICS] as const;

function pointsTable(points: PointRecord[]): string {
  const open = points.some((p) => p.rate_per_s !== null || p.rate_of_capacity !== null || p.kind === 'probe');
  return table(
    ['#', 'backend', 'conns', 'workers', ...(open ? ['rate', 'offered/s'] : []), 'rep', 'req/s', ...CLI_LATENCIES.map((m) => `${METRICS[m].short} µs`), 'errors', 'checked', 'verified', 'note'],
    points.map((p) => [
      String(p.seq),
      p.backend,
      String(p.connections),
      String(p.workers),
      ...(open ? [rateText(p), num(p.offered_per_s)] : []),
      p.kind === 'probe' ? '-' : String(p.repeat),
      num(p.requests_per_s),
      ...CLI_LATENCIES.map((m) => num(p[m])),
      p.errors === null ? '-' : String(p.errors),
      p.verification === null ? '-' : num(p.verification.responses_checked),
      p.status === 'ok' ? (p.verified ? 'yes' : 'NO') : p.status,
      [p.reason ?? '', ...p.warnings.map((w) => `WARNING: ${w}`)].filter(Boolean).join('; '),
    ]),
  );
}

function runLine(r: RunRecord): string {
  return `run ${short(r.id)} [${r.cell_id}] ${r.status}${r.quick ? ' (quick)' : ''} ${r.started_at}${r.reason ? ` — ${r.reason}` : ''}`;
}

/**
 * 0 when the job (if any) ended well and every run ended ok with every measured point verified.
 * A job can fail beside its runs (an error between two cells): then its error is said here.
 */
async function verdict(ctx: CommandContext, job: JobInfo | null): Promise<number> {
  let code = 0;
  for (const id of job?.runs ?? []) {
    const { run: r, points, hosts } = await ctx.call('runs.get', { run: id });
    // A guest's numbers say how its CPU ran: a TCG guest's are not comparable with a host's.
    const accel = runAccel(hosts);
    ctx.out.write(`${runLine(r)}${accel ? ` [accel ${accel}: ${accelNote(accel)}]` : ''}\n${pointsTable(points)}\n`);
    if (r.status !== 'ok' || points.some((p) => p.status === 'ok' && !p.verified)) code = 1;
  }
  if (code === 0 && job?.state === 'failed') {
    ctx.err.write(`saio-lab: ${job.error ?? 'the run failed'}\n`);
    code = 1;
  }
  return code;
}

/**
 * Runs a notebook's experiment cells as the UI does: runs.start, its progress from the job's
 * events until the job ends (Ctrl-C: runs.cancel). A job that failed before any run began has
 * nothing to show but why: that is thrown.
 */
async function runJob(ctx: CommandContext, input: Input<'runs.start'>, cancel: Cancellation): Promise<JobInfo> {
  const progress = progressPrinter();
  let unsubscribe = () => {};
  // This client's job manager runs only this command's job: every event is about it.
  const ended = new Promise<JobInfo>((resolveEnd) => {
    unsubscribe = ctx.subscribe((e) => {
      if (e.type === 'progress') progress.onProgress(e.event);
      else if (e.type === 'job' && e.job.state !== 'running') resolveEnd(e.job);
    });
  });
  try {
    const job = await ctx.call('runs.start', input);
    cancel.onCancel(() => void ctx.call('runs.cancel', { job: job.job }).catch(() => undefined));
    if (cancel.signal.aborted) await ctx.call('runs.cancel', { job: job.job });
    const done = await ended;
    if (done.state === 'failed' && done.runs.length === 0) throw new LabError(done.error ?? 'the run failed before it began');
    return done;
  } finally {
    progress.end();
    unsubscribe();
  }
}

/** "10%" or "0.1" → 0.1. */
export function parseThreshold(text: string | undefined): number {
  if (text === undefined) return 0.1;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v > 0 && v < 1)) throw new UsageError(`--threshold takes a fraction or a percentage between 0 and 100%, e.g. 10% or 0.1, found "${text}"`);
  return v;
}

/**
 * Headless, through the API like every other command: the file into the lab (a notebook saved as
 * `save` does, a bundle imported as `import` does), its experiment cells run as `run` does, then
 * runs.report; the report files are written here and the gate judged from the report's gates.
 */
const replay: Command = async (ctx) => {
  const source = arg(ctx, 0, 'the notebook or bundle to replay');
  const outDir = ctx.opts.out;
  if (!outDir) throw new UsageError('replay needs --out DIR');
  const gating = ctx.opts.gate === true;
  if (!gating && (ctx.opts.threshold !== undefined || ctx.opts.junit !== undefined || ctx.opts.summary !== undefined)) {
    throw new UsageError('--threshold, --junit and --summary go with --gate');
  }
  const threshold = parseThreshold(ctx.opts.threshold);
  const started = Date.now();
  const cancel = cancellation(ctx);
  try {
    if (!existsSync(source)) throw new LabError(`${source}: no such file`);
    const { notebook } = isBundle(source) ? await importFile(ctx, source, {}) : await saveFile(ctx, source, {});
    // runs.start refuses a notebook without experiment cells; its replay is a report of no runs.
    const { content } = await ctx.call('notebooks.get', { ref: notebook.id });
    const job = content.cells.some((c) => c.type === 'experiment') ? await runJob(ctx, { ref: notebook.id, quick: ctx.opts.quick }, cancel) : null;
    const report = await ctx.call('runs.report', { ref: notebook.id, runs: job?.runs ?? [], gate: gating ? { threshold } : undefined });
    // The wall time and --quick are the replay's own (a notebook without experiment cells has no run to say quick).
    const results: ReplayResults = { ...report, quick: ctx.opts.quick ?? false, elapsed_s: (Date.now() - started) / 1000 };
    const written = writeReplayOutputs(resolve(outDir), results);
    for (const noise of results.noise) {
      const cmp = results.comparisons.filter((c) => c.run_id === noise.run_id);
      ctx.out.write(
        `[${noise.cell_id}] ${comparisonText(
          cmp,
          results.summaries.filter((x) => x.run_id === noise.run_id),
        )}${noise.message}\n\n`,
      );
    }
    let code = await verdict(ctx, job);
    const extra: string[] = [];
    if (gating) {
      const g = combineGates(results.gates, threshold);
      ctx.out.write(`\n${g.message}\n`);
      const failed = g.cases.filter((c) => c.status === 'fail');
      if (failed.length > 0)
        ctx.out.write(
          `${table(
            ['configuration', 'metric', 'result'],
            failed.map((c) => [c.config, c.metric, c.message]),
          )}\n`,
        );
      if (ctx.opts.junit) {
        writeFileSync(resolve(ctx.opts.junit), gateJUnit(g, `saio-lab gate: ${results.notebook.name}`));
        extra.push(resolve(ctx.opts.junit));
      }
      if (ctx.opts.summary) {
        writeFileSync(resolve(ctx.opts.summary), gateMarkdown(g, `saio-lab gate: ${results.notebook.name}`));
        extra.push(resolve(ctx.opts.summary));
      }
      if (!g.passed) code = 1;
    }
    const files = [written.json, written.csv, written.summaries, written.comparisons, written.html, ...extra];
    ctx.out.write(`\nreplay took ${results.elapsed_s.toFixed(1)} s\nwrote ${files.join('\n      ')}\n`);
    return code;
  } finally {
    cancel.dispose();
  }
};

/** Every backend against the reference, requests/s first: ratio [95% CI], p, verdict; the noise flag when set. */
function comparisonText(cmp: readonly ConfigComparison[], summaries: readonly ConfigSummary[]): string {
  const rows = summaries.filter((s) => s.metric === 'requests_per_s' || s.metric === 'requests_per_cpu_s');
  const summaryTable =
    rows.length === 0
      ? ''
      : `${table(
          ['backend', 'configuration', 'metric', 'n', 'median', '95% CI', 'CV', 'repeats'],
          rows.map((s) => [
            s.backend,
            s.config,
            s.metric,
            String(s.n),
            num(s.median),
            s.ci_low === null ? 'n < 6: none' : `${num(s.ci_low)} – ${num(s.ci_high)}`,
            s.cv === null ? '-' : `${(s.cv * 100).toFixed(1)}%`,
            s.repeats?.message ?? '',
          ]),
        )}\n`;
  if (cmp.length === 0) return summaryTable;
  // The terminal shows the headline metrics; results.json, comparisons.csv and the report have all.
  const order = (m: string) => ['requests_per_s', 'requests_per_cpu_s', 'latency_p99_us'].indexOf(m);
  const sorted = cmp.filter((c) => order(c.metric) >= 0).sort((a, b) => order(a.metric) - order(b.metric));
  return `${table(
    ['configuration', 'backend', 'vs', 'metric', 'ratio', '95% CI', 'p', 'verdict'],
    sorted.map((c) => [
      c.config,
      c.backend,
      c.reference,
      c.metric,
      `×${c.ratio.toFixed(3)}`,
      `×${c.ci_low.toFixed(3)} – ×${c.ci_high.toFixed(3)}`,
      c.p_value.toPrecision(2),
      `${c.verdict}${c.aa ? ' (A/A)' : ''}${c.noise ? ` — ${c.noise}` : ''}`,
    ]),
  )}\n${summaryTable}`;
}

/** Runs a notebook's cells as the UI does (runJob), then prints each run's points. */
const run: Command = async (ctx) => {
  const ref = arg(ctx, 0, 'the notebook (name, id or .json file)');
  const notebookRef = ref.endsWith('.json') ? (await saveFile(ctx, ref, {})).notebook.id : ref;
  const cancel = cancellation(ctx);
  try {
    return await verdict(ctx, await runJob(ctx, { ref: notebookRef, cells: ctx.opts.cell, quick: ctx.opts.quick }, cancel));
  } finally {
    cancel.dispose();
  }
};

/**
 * A notebook file into the lab through the API: a new notebook named after the file (or --name),
 * or a new revision of the notebook of that name when the content changed. The file is read and
 * checked here, so its problems are said of the file.
 */
async function saveFile(ctx: CommandContext, file: string, o: { name?: string; message?: string }): Promise<{ notebook: { id: string; name: string }; revision: { id: string }; created: boolean }> {
  const content = readNotebookFile(file);
  const name = o.name ?? nameFromPath(file);
  const existing = (await ctx.call('notebooks.list', {})).find((n) => n.name === name);
  if (!existing) {
    const r = await ctx.call('notebooks.create', { name, content, message: o.message ?? `Create from ${basename(file)}` });
    return { ...r, created: true };
  }
  const r = await ctx.call('notebooks.save', { ref: existing.id, content, message: o.message ?? `Save from ${basename(file)}` });
  if (!r.ok) throw new LabError(`${file}: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return { notebook: existing, revision: r.revision, created: r.created };
}

const save: Command = async (ctx) => {
  const r = await saveFile(ctx, arg(ctx, 0, 'the notebook file'), { name: ctx.opts.name, message: ctx.opts.m });
  ctx.out.write(r.created ? `saved ${r.notebook.name} revision ${short(r.revision.id)}\n` : `${r.notebook.name}: no change since revision ${short(r.revision.id)}\n`);
  return 0;
};

const list: Command = async (ctx) => {
  const rows = (await ctx.call('notebooks.list', {})).map((n) => [n.name, short(n.id), short(n.head_revision_id ?? ''), String(n.revisions), String(n.runs), n.last_run?.started_at ?? '-']);
  ctx.out.write(rows.length === 0 ? 'no notebooks yet (try: saio-lab save experiments/quickstart.json)\n' : `${table(['notebook', 'id', 'head', 'revisions', 'runs', 'last run'], rows)}\n`);
  return 0;
};

const show: Command = async (ctx) => {
  const { notebook, revision, content } = await ctx.call('notebooks.get', { ref: arg(ctx, 0, 'the notebook'), rev: ctx.opts.rev });
  ctx.out.write(`${content.title}  (${notebook.name}, revision ${short(revision.id)} — ${revision.message})\n\n`);
  for (const c of content.cells) {
    if (c.type === 'markdown') ctx.out.write(`[${c.id}] markdown: ${c.source.split('\n')[0] ?? ''}\n`);
    else if (c.type === 'plot') ctx.out.write(`[${c.id}] plot: ${[c.y].flat().join(' and ')} against ${c.x} of ${c.experiment}, one trace per ${c.series}\n`);
    else
      ctx.out.write(
        `[${c.id}] experiment: ${c.server.kind} (${protocolText(c.protocol, formatBytes)}), backends ${c.backends.join('/')}, ` +
          `driver ${driverText(c)}; ${sweepText(c)}; ${repeatsText(c.repeats)}, ${c.duration_s}s each\n`,
      );
  }
  const runs = await ctx.call('runs.list', { ref: notebook.id });
  ctx.out.write(`\n${runs.length} run(s)\n${runs.map(runLine).join('\n')}${runs.length ? '\n' : ''}`);
  return 0;
};

const cat: Command = async (ctx) => {
  const { content } = await ctx.call('notebooks.get', { ref: arg(ctx, 0, 'the notebook'), rev: ctx.opts.rev });
  ctx.out.write(`${JSON.stringify(content, null, 2)}\n`);
  return 0;
};

const historyCmd: Command = async (ctx) => {
  const revs = await ctx.call('notebooks.history', { ref: arg(ctx, 0, 'the notebook') });
  ctx.out.write(
    `${table(
      ['revision', 'parent', 'time', 'message'],
      revs.map((r) => [short(r.id), r.parent_id ? short(r.parent_id) : '-', r.created_at, r.message]),
    )}\n`,
  );
  return 0;
};

const diff: Command = async (ctx) => {
  const d = await ctx.call('notebooks.diff', { ref: arg(ctx, 0, 'the notebook'), from: arg(ctx, 1, 'the revision to compare from'), to: ctx.args[2] });
  ctx.out.write(`--- ${short(d.from.id)} ${d.from.message}\n+++ ${short(d.to.id)} ${d.to.message}\n${formatChanges(d.changes)}`);
  return 0;
};

const restore: Command = async (ctx) => {
  const r = await ctx.call('notebooks.restore', { ref: arg(ctx, 0, 'the notebook'), rev: arg(ctx, 1, 'the revision to restore') });
  ctx.out.write(r.created ? `restored as new revision ${short(r.revision.id)}\n` : `head already has that content (${short(r.revision.id)})\n`);
  return 0;
};

const results: Command = async (ctx) => {
  const r = await ctx.call('runs.get', { run: arg(ctx, 0, 'the run id') });
  ctx.out.write(`${runLine(r.run)}\n${pointsTable(r.points)}\n`);
  return 0;
};

const exportCmd: Command = async (ctx) => {
  const file = ctx.opts.o ?? ctx.opts.out;
  if (!file) throw new UsageError('export needs -o FILE');
  const r = await ctx.call('bundles.export', { ref: arg(ctx, 0, 'the notebook') });
  const path = resolve(file);
  try {
    writeFileAtomic(path, Buffer.from(r.data_base64, 'base64'));
  } catch (e) {
    throw new LabError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  ctx.out.write(`wrote ${path}: ${r.revisions} revisions, ${r.runs} runs, ${r.artifacts} artifacts, ${r.bytes} bytes\n`);
  return 0;
};

/** A bundle file into the lab through the API; its problems are said of the file. */
async function importFile(ctx: CommandContext, file: string, o: { as?: string }): Promise<Outputs['bundles.import']> {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new LabError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return ctx.call('bundles.import', { data_base64: data.toString('base64'), file_name: file, ...(o.as === undefined ? {} : { as: o.as }) });
}

const importCmd: Command = async (ctx) => {
  const r = await importFile(ctx, arg(ctx, 0, 'the bundle file'), { as: ctx.opts.as });
  ctx.out.write(
    `imported ${r.notebook.name}: ${r.revisions_added} revisions added (${r.revisions_present} already present), ` +
      `${r.runs_added} runs added (${r.runs_present} already present)${r.head_moved ? ', head moved' : ''}\n`,
  );
  return 0;
};

export const commands: Record<string, Command> = {
  replay,
  run,
  save,
  list,
  show,
  cat,
  history: historyCmd,
  diff,
  restore,
  results,
  export: exportCmd,
  import: importCmd,
};
