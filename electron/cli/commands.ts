// One function per CLI command. Each reads its arguments, calls the engine, prints, returns the
// exit code. No command talks to the store directly.
import { accelNote, runAccel } from '../engine/report/accel';
import { resolve } from 'node:path';
import type { Lab } from '../engine/lab';
import { formatChanges } from '../engine/notebook/diff';
import { driverText, repeatsText, sweepText } from '../engine/report/describe';
import { formatBytes } from '../engine/report/format';
import { protocolText } from '../engine/protocols/catalog';
import { writeReplayOutputs } from '../engine/report/write';
import { combineGates } from '../engine/report/gate-run';
import type { ConfigComparison, ConfigSummary } from '../engine/report/statistics';
import { gateJUnit, gateMarkdown } from '../engine/stats/gate-report';
import { writeFileSync } from 'node:fs';
import type { PointRecord, RunRecord } from '../engine/model';
import { progressPrinter } from './progress';
import { table } from './table';
import { UsageError } from './usage';

export interface CommandContext {
  lab: Lab;
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
const num = (v: number | null, digits = 0) =>
  v === null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Cancel on Ctrl-C / SIGTERM: the runner stops everything it started and records the run. */
function cancellation(ctx: CommandContext): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    ctx.err.write(`\nsaio-lab: ${sig}: cancelling, stopping the server and load generator…\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
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

function pointsTable(points: PointRecord[]): string {
  const open = points.some((p) => p.rate_per_s !== null || p.rate_of_capacity !== null || p.kind === 'probe');
  return table(
    ['#', 'backend', 'conns', 'workers', ...(open ? ['rate', 'offered/s'] : []), 'rep', 'req/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'errors', 'checked', 'verified', 'note'],
    points.map((p) => [
      String(p.seq),
      p.backend,
      String(p.connections),
      String(p.workers),
      ...(open ? [rateText(p), num(p.offered_per_s)] : []),
      p.kind === 'probe' ? '-' : String(p.repeat),
      num(p.requests_per_s),
      num(p.latency_p50_us),
      num(p.latency_p99_us),
      num(p.latency_p999_us),
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

/** 0 when every run ended ok and every measured point was verified. */
function verdict(ctx: CommandContext, runs: RunRecord[]): number {
  let code = 0;
  for (const r of runs) {
    const { points, hosts } = ctx.lab.runResults(r.id);
    // A guest's numbers say how its CPU ran: a TCG guest's are not comparable with a host's.
    const accel = runAccel(hosts);
    ctx.out.write(`${runLine(r)}${accel ? ` [accel ${accel}: ${accelNote(accel)}]` : ''}\n${pointsTable(points)}\n`);
    if (r.status !== 'ok' || points.some((p) => p.status === 'ok' && !p.verified)) code = 1;
  }
  return code;
}

/** "10%" or "0.1" → 0.1. */
export function parseThreshold(text: string | undefined): number {
  if (text === undefined) return 0.1;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(v > 0 && v < 1)) throw new UsageError(`--threshold takes a fraction or a percentage between 0 and 100%, e.g. 10% or 0.1, found "${text}"`);
  return v;
}

const replay: Command = async (ctx) => {
  const source = arg(ctx, 0, 'the notebook or bundle to replay');
  const outDir = ctx.opts.out;
  if (!outDir) throw new UsageError('replay needs --out DIR');
  const gating = ctx.opts.gate === true;
  if (!gating && (ctx.opts.threshold !== undefined || ctx.opts.junit !== undefined || ctx.opts.summary !== undefined)) {
    throw new UsageError('--threshold, --junit and --summary go with --gate');
  }
  const threshold = parseThreshold(ctx.opts.threshold);
  const progress = progressPrinter();
  const cancel = cancellation(ctx);
  try {
    const results = await ctx.lab.replay(source, { quick: ctx.opts.quick, gate: gating ? { threshold } : undefined, signal: cancel.signal, onProgress: progress.onProgress });
    progress.end();
    const written = writeReplayOutputs(resolve(outDir), results);
    for (const noise of results.noise) {
      const cmp = results.comparisons.filter((c) => c.run_id === noise.run_id);
      ctx.out.write(`[${noise.cell_id}] ${comparisonText(cmp, results.summaries.filter((x) => x.run_id === noise.run_id))}${noise.message}\n\n`);
    }
    let code = verdict(
      ctx,
      results.runs.map((r) => r.run),
    );
    const extra: string[] = [];
    if (gating) {
      const g = combineGates(results.gates, threshold);
      ctx.out.write(`\n${g.message}\n`);
      const failed = g.cases.filter((c) => c.status === 'fail');
      if (failed.length > 0) ctx.out.write(`${table(['configuration', 'metric', 'result'], failed.map((c) => [c.config, c.metric, c.message]))}\n`);
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
    progress.end();
    cancel.dispose();
  }
};

/** Every backend against the reference, requests/s first: ratio [95% CI], p, verdict; the noise flag when set. */
function comparisonText(cmp: readonly ConfigComparison[], summaries: readonly ConfigSummary[]): string {
  const rows = summaries.filter((s) => s.metric === 'requests_per_s' || s.metric === 'requests_per_cpu_s');
  const summaryTable = rows.length === 0 ? '' : `${table(
    ['backend', 'configuration', 'metric', 'n', 'median', '95% CI', 'CV', 'repeats'],
    rows.map((s) => [s.backend, s.config, s.metric, String(s.n), num(s.median), s.ci_low === null ? 'n < 6: none' : `${num(s.ci_low)} – ${num(s.ci_high)}`, s.cv === null ? '-' : `${(s.cv * 100).toFixed(1)}%`, s.repeats?.message ?? '']),
  )}\n`;
  if (cmp.length === 0) return summaryTable;
  // The terminal shows the headline metrics; results.json, comparisons.csv and the report have all.
  const order = (m: string) => ['requests_per_s', 'requests_per_cpu_s', 'latency_p99_us'].indexOf(m);
  const sorted = cmp.filter((c) => order(c.metric) >= 0).sort((a, b) => order(a.metric) - order(b.metric));
  return `${table(
    ['configuration', 'backend', 'vs', 'metric', 'ratio', '95% CI', 'p', 'verdict'],
    sorted.map((c) => [c.config, c.backend, c.reference, c.metric, `×${c.ratio.toFixed(3)}`, `×${c.ci_low.toFixed(3)} – ×${c.ci_high.toFixed(3)}`, c.p_value.toPrecision(2), `${c.verdict}${c.aa ? ' (A/A)' : ''}${c.noise ? ` — ${c.noise}` : ''}`]),
  )}\n${summaryTable}`;
}

const run: Command = async (ctx) => {
  const ref = arg(ctx, 0, 'the notebook (name, id or .json file)');
  const notebookRef = ref.endsWith('.json') ? ctx.lab.saveFile(ref).notebook.id : ref;
  const progress = progressPrinter();
  const cancel = cancellation(ctx);
  try {
    const runs = await ctx.lab.runNotebook(notebookRef, {
      cells: ctx.opts.cell,
      quick: ctx.opts.quick,
      signal: cancel.signal,
      onProgress: progress.onProgress,
    });
    progress.end();
    return verdict(ctx, runs);
  } finally {
    progress.end();
    cancel.dispose();
  }
};

const save: Command = async (ctx) => {
  const r = ctx.lab.saveFile(arg(ctx, 0, 'the notebook file'), { name: ctx.opts.name, message: ctx.opts.m });
  ctx.out.write(r.created ? `saved ${r.notebook.name} revision ${short(r.revision.id)}\n` : `${r.notebook.name}: no change since revision ${short(r.revision.id)}\n`);
  return 0;
};

const list: Command = async (ctx) => {
  const rows = ctx.lab.listNotebooks().map((n) => {
    const runs = ctx.lab.runs(n.id);
    return [n.name, short(n.id), short(n.head_revision_id ?? ''), String(ctx.lab.history(n.id).length), String(runs.length), runs.at(-1)?.started_at ?? '-'];
  });
  ctx.out.write(rows.length === 0 ? 'no notebooks yet (try: saio-lab save experiments/quickstart.json)\n' : `${table(['notebook', 'id', 'head', 'revisions', 'runs', 'last run'], rows)}\n`);
  return 0;
};

const show: Command = async (ctx) => {
  const { notebook, revision, content } = ctx.lab.content(arg(ctx, 0, 'the notebook'), ctx.opts.rev);
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
  const runs = ctx.lab.runs(notebook.id);
  ctx.out.write(`\n${runs.length} run(s)\n${runs.map(runLine).join('\n')}${runs.length ? '\n' : ''}`);
  return 0;
};

const cat: Command = async (ctx) => {
  ctx.out.write(`${JSON.stringify(ctx.lab.content(arg(ctx, 0, 'the notebook'), ctx.opts.rev).content, null, 2)}\n`);
  return 0;
};

const historyCmd: Command = async (ctx) => {
  const revs = ctx.lab.history(arg(ctx, 0, 'the notebook'));
  ctx.out.write(`${table(['revision', 'parent', 'time', 'message'], revs.map((r) => [short(r.id), r.parent_id ? short(r.parent_id) : '-', r.created_at, r.message]))}\n`);
  return 0;
};

const diff: Command = async (ctx) => {
  const d = ctx.lab.diff(arg(ctx, 0, 'the notebook'), arg(ctx, 1, 'the revision to compare from'), ctx.args[2]);
  ctx.out.write(`--- ${short(d.from.id)} ${d.from.message}\n+++ ${short(d.to.id)} ${d.to.message}\n${formatChanges(d.changes)}`);
  return 0;
};

const restore: Command = async (ctx) => {
  const r = ctx.lab.restore(arg(ctx, 0, 'the notebook'), arg(ctx, 1, 'the revision to restore'));
  ctx.out.write(r.created ? `restored as new revision ${short(r.revision.id)}\n` : `head already has that content (${short(r.revision.id)})\n`);
  return 0;
};

const results: Command = async (ctx) => {
  const r = ctx.lab.runResults(arg(ctx, 0, 'the run id'));
  ctx.out.write(`${runLine(r.run)}\n${pointsTable(r.points)}\n`);
  return 0;
};

const exportCmd: Command = async (ctx) => {
  const file = ctx.opts.o ?? ctx.opts.out;
  if (!file) throw new UsageError('export needs -o FILE');
  const r = ctx.lab.exportBundle(arg(ctx, 0, 'the notebook'), resolve(file));
  ctx.out.write(`wrote ${r.file}: ${r.revisions} revisions, ${r.runs} runs, ${r.artifacts} artifacts, ${r.bytes} bytes\n`);
  return 0;
};

const importCmd: Command = async (ctx) => {
  const r = ctx.lab.importBundle(arg(ctx, 0, 'the bundle file'), { as: ctx.opts.as });
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
