// Figures for a run's results, its thread placement and comparisons. Pure functions from records
// to plotly data + layout. Every repeat is its own marker and a median line runs through them
// (the report's convention, electron/engine/report/chart.ts), so spread stays visible; lines are
// drawn with simplify:false and markers are never decimated, so tail percentiles keep every point.
// Points the load generator warned about are outlined in black and say why on hover.
import { compareConfigurations, configurationOf } from '../../../electron/engine/common/axes';
import { METRICS, type Metric } from '../../../electron/engine/common/metrics';
import { okMeasured } from '../../../electron/engine/common/points';
import type { PlacementSample, PointRecord } from '../../../electron/engine/model';
import type { PlotCell } from '../../../electron/engine/notebook/schema';
import { chartSpec, fieldValue, plotlyFigure } from '../../../electron/engine/report/chart';
import { fieldLabel, isSweepAxis, type PlotField } from '../../../electron/engine/report/labels';
import { median } from '../../../electron/engine/report/summary';
import type { RunResults } from '../../../electron/engine/report/types';
import { compare, type Comparison, type Verdict } from '../../../electron/engine/stats/compare';
import { metricDirection } from '../../../electron/engine/stats/metrics';
import { summarize } from '../../../electron/engine/stats/summary';

function metricKnown(m: string): boolean {
  try {
    metricDirection(m);
    return true;
  } catch {
    return false;
  }
}

/** Two runs' repeats of one configuration (independent runs: unpaired); null when they cannot be compared. */
function safeCompare(reference: number[], candidate: number[], metric: string, seed: string): Comparison | null {
  try {
    return compare(reference, candidate, { metric, paired: false, seed });
  } catch {
    return null;
  }
}

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  /** Shown instead of an empty chart. */
  empty?: string;
  /** Shown under the chart: how many drawn points carry generator warnings. */
  warned?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 11, color: '#24292f' };
const WARN = '#111111';

export const METRIC_LABELS: Record<Metric, string> = Object.fromEntries(Object.entries(METRICS).map(([k, m]) => [k, m.label])) as Record<Metric, string>;

/** Points of the sweep that ended ok (capacity probes and failed points are not drawn). */
export function okPoints(run: RunResults | null | undefined): PointRecord[] {
  return okMeasured(run?.points ?? []);
}

function layout(x: string, y: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    xaxis: { title: { text: x }, zeroline: false, automargin: true },
    yaxis: { title: { text: y }, zeroline: false, automargin: true, rangemode: 'tozero' },
    margin: { l: 60, r: 12, t: 8, b: 40 },
    legend: { orientation: 'h', y: -0.22, font: { size: 10 } },
    font: FONT,
    hovermode: 'closest',
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: '#fff',
    ...extra,
  };
}

function sweepAxis(values: number[]): Record<string, unknown> {
  const ticks = [...new Set(values)].sort((a, b) => a - b);
  const positive = ticks.filter((v) => v > 0);
  const log = positive.length > 1 && positive[positive.length - 1]! / positive[0]! >= 16;
  const axis: Record<string, unknown> = { type: log ? 'log' : 'linear' };
  if (ticks.length > 0 && ticks.length <= 12) Object.assign(axis, { tickmode: 'array', tickvals: ticks, ticktext: ticks.map(String) });
  return axis;
}

function rateText(p: PointRecord): string {
  if (p.rate_per_s === null) return 'closed loop';
  return `${p.rate_per_s.toLocaleString('en-US')}/s asked${p.rate_of_capacity !== null ? ` (${p.rate_of_capacity}× capacity)` : ''}`;
}

/**
 * Markers for every repeat plus a median line, one colour per series. On a swept x the line
 * joins the per-x medians; on a measured x (requests/s) it joins one point per configuration
 * (its configuration key), in sweep order.
 */
function seriesTraces(
  groups: Map<string, PointRecord[]>,
  x: PlotField,
  y: Metric,
  opts: { colorOf?: (name: string, i: number) => string; symbol?: string; dash?: string } = {},
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  [...groups.entries()].forEach(([name, pts], i) => {
    const usable = pts.filter((p) => fieldValue(p, x) !== null && fieldValue(p, y) !== null);
    if (usable.length === 0) return;
    const color = opts.colorOf ? opts.colorOf(name, i) : PALETTE[i % PALETTE.length]!;
    out.push({
      type: 'scatter',
      mode: 'markers',
      name,
      legendgroup: name,
      x: usable.map((p) => fieldValue(p, x)),
      y: usable.map((p) => fieldValue(p, y)),
      customdata: usable.map((p) => [p.repeat, p.seq, p.connections, p.workers, p.backend, rateText(p), p.warnings.length ? `<br>⚠ ${p.warnings.join('; ')}` : '']),
      marker: { color, size: 7, opacity: 0.75, symbol: opts.symbol ?? 'circle', line: { color: WARN, width: usable.map((p) => (p.warnings.length ? 2 : 0)) } },
      hovertemplate: `${name}<br>${fieldLabel(x)}: %{x:,}<br>${fieldLabel(y)}: %{y:,.1f}<br>%{customdata[4]}, %{customdata[2]} conn, %{customdata[3]} workers, %{customdata[5]}<br>repeat %{customdata[0]}, point %{customdata[1]}%{customdata[6]}<extra></extra>`,
    });
    const byKey = new Map<string, PointRecord[]>();
    for (const p of usable) {
      const key = isSweepAxis(x) ? String(fieldValue(p, x)) : p.config;
      byKey.set(key, [...(byKey.get(key) ?? []), p]);
    }
    const ordered = [...byKey.values()].sort((a, b) =>
      isSweepAxis(x) ? fieldValue(a[0]!, x)! - fieldValue(b[0]!, x)! : compareConfigurations(configurationOf(a[0]!), configurationOf(b[0]!)),
    );
    out.push({
      type: 'scatter',
      mode: 'lines',
      name: `${name} median`,
      legendgroup: name,
      showlegend: false,
      x: ordered.map((g) => median(g.map((p) => fieldValue(p, x)!))),
      y: ordered.map((g) => median(g.map((p) => fieldValue(p, y)!))),
      line: { color, width: 1.5, simplify: false, dash: opts.dash ?? 'solid' },
      hoverinfo: 'skip',
    });
  });
  return out;
}

function groupBy(points: readonly PointRecord[], key: (p: PointRecord) => string): Map<string, PointRecord[]> {
  const m = new Map<string, PointRecord[]>();
  for (const p of points) m.set(key(p), [...(m.get(key(p)) ?? []), p]);
  return m;
}

function backendWorkers(points: readonly PointRecord[]): (p: PointRecord) => string {
  const many = new Set(points.map((p) => p.workers)).size > 1;
  return (p) => (many ? `${p.backend} · ${p.workers} workers` : p.backend);
}

const warnedCount = (pts: readonly PointRecord[]) => pts.filter((p) => p.warnings.length > 0).length;

/** Closed-loop points only: with a rate swept, requests/s is set by the rate, not by connections. */
const closedLoop = (pts: readonly PointRecord[]) => pts.filter((p) => p.rate_per_s === null);

/** requests/s against connections: one series per backend (and worker count when swept). */
export function throughputFigure(run: RunResults | null | undefined): Figure {
  const pts = closedLoop(okPoints(run));
  if (pts.length === 0) return { data: [], layout: layout('connections', 'requests/s'), empty: okPoints(run).length ? 'no closed-loop points in this run (see tail latency against achieved rate)' : 'no finished points yet' };
  const data = seriesTraces(groupBy(pts, backendWorkers(pts)), 'connections', 'requests_per_s');
  const l = layout('connections', 'requests/s');
  Object.assign(l.xaxis as object, sweepAxis(pts.map((p) => p.connections)));
  Object.assign(l.yaxis as object, { tickformat: ',.0f' });
  return { data, layout: l, warned: warnedCount(pts) };
}

export const PERCENTILES: { key: Metric; label: string }[] = [
  { key: 'latency_p50_us', label: 'p50' },
  { key: 'latency_p90_us', label: 'p90' },
  { key: 'latency_p99_us', label: 'p99' },
  { key: 'latency_p999_us', label: 'p99.9' },
];

const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'x', 'cross', 'star', 'hexagon'];

/** Latency percentiles against requests/s; every point of every percentile, log latency axis. */
export function latencyFigure(run: RunResults | null | undefined): Figure {
  const pts = okPoints(run);
  const l = layout('requests/s (achieved)', 'latency (µs, log)', {});
  Object.assign(l.yaxis as object, { type: 'log', rangemode: 'normal' });
  Object.assign(l.xaxis as object, { tickformat: ',.0f' });
  if (pts.length === 0) return { data: [], layout: l, empty: 'no finished points yet' };
  const backends = [...new Set(pts.map((p) => p.backend))];
  const data: Record<string, unknown>[] = [];
  PERCENTILES.forEach((pc, i) => {
    backends.forEach((b, j) => {
      const name = backends.length > 1 ? `${pc.label} · ${b}` : pc.label;
      const groups = new Map([[name, pts.filter((p) => p.backend === b)]]);
      data.push(...seriesTraces(groups, 'requests_per_s', pc.key, { colorOf: () => PALETTE[i % PALETTE.length]!, symbol: SYMBOLS[j % SYMBOLS.length]! }));
    });
  });
  return { data, layout: l, warned: warnedCount(pts) };
}

/**
 * The seed's third figure: tail latency (p99 solid, p99.9 dashed) against achieved requests/s,
 * one colour per backend, for points offered at a fixed rate (open loop). Latency counts from
 * when each request was due, so a stall shows instead of hiding behind a slower sender.
 */
export function tailLatencyFigure(run: RunResults | null | undefined): Figure {
  const pts = okPoints(run).filter((p) => p.rate_per_s !== null);
  const l = layout('requests/s (achieved)', 'latency from the intended send time (µs, log)');
  Object.assign(l.yaxis as object, { type: 'log', rangemode: 'normal' });
  Object.assign(l.xaxis as object, { tickformat: ',.0f' });
  if (pts.length === 0) return { data: [], layout: l, empty: 'no open-loop points in this run: sweep.rate offers load at fixed rates' };
  const byBackend = groupBy(pts, backendWorkers(pts));
  const data: Record<string, unknown>[] = [];
  (['latency_p99_us', 'latency_p999_us'] as const).forEach((metric, k) => {
    const named = new Map([...byBackend.entries()].map(([b, ps]) => [`${b} · ${k === 0 ? 'p99' : 'p99.9'}`, ps]));
    // Same colour for a backend's two percentiles: the i-th entry of `named` is the i-th backend.
    data.push(...seriesTraces(named, 'requests_per_s', metric, { colorOf: (_, i) => PALETTE[i % PALETTE.length]!, symbol: k === 0 ? 'circle' : 'diamond', dash: k === 0 ? 'solid' : 'dash' }));
  });
  return { data, layout: l, warned: warnedCount(pts) };
}

/** requests/s against server workers, one series per connection count. */
export function scalingFigure(run: RunResults | null | undefined): Figure {
  const pts = closedLoop(okPoints(run));
  const l = layout('server workers', 'requests/s');
  Object.assign(l.yaxis as object, { tickformat: ',.0f' });
  if (pts.length === 0) return { data: [], layout: l, empty: 'no finished closed-loop points yet' };
  const many = new Set(pts.map((p) => p.backend)).size > 1;
  const groups = groupBy(
    [...pts].sort((a, b) => a.connections - b.connections),
    (p) => (many ? `${p.connections} conn · ${p.backend}` : `${p.connections} conn`),
  );
  Object.assign(l.xaxis as object, sweepAxis(pts.map((p) => p.workers)));
  const fig: Figure = { data: seriesTraces(groups, 'workers', 'requests_per_s'), layout: l, warned: warnedCount(pts) };
  if (new Set(pts.map((p) => p.workers)).size < 2) fig.empty = 'one worker count in this run: sweep.workers lists several to see scaling';
  return fig;
}

/** A plot cell of the notebook, drawn exactly as the HTML report draws it. */
export function plotCellFigure(cell: PlotCell, run: RunResults | null): Figure {
  const spec = chartSpec(cell, run);
  const fig = plotlyFigure(spec);
  for (const t of fig.data) if (t.mode === 'lines') t.line = { ...(t.line as object), simplify: false };
  const lay: Record<string, unknown> = { ...fig.layout, font: FONT, margin: { l: 60, r: 12, t: 8, b: 40 }, paper_bgcolor: 'rgba(0,0,0,0)' };
  const n = spec.series.reduce((a, s) => a + s.x.length, 0);
  return { data: fig.data as unknown as Record<string, unknown>[], layout: lay, warned: spec.warned, ...(n === 0 ? { empty: run ? 'no finished points in the latest run' : 'not run yet' } : {}) };
}

const ROLE_ORDER: Record<PlacementSample['role'], number> = { server: 0, 'kernel-worker': 1, driver: 2 };

export interface ThreadRow {
  /** The thread's key: its tid, with its host's name when it ran on another host ("srv/1234"). */
  key: string;
  /** The notebook's name of the host it ran on (absent: this machine). */
  host?: string;
  tid: number;
  pid: number;
  comm: string;
  role: PlacementSample['role'];
  label: string;
  samples: number;
  cpus: Map<number, number>;
}

/** Threads of different hosts may share a tid: the host is part of a thread's identity. */
export function threadKey(s: Pick<PlacementSample, 'host' | 'tid'>): string {
  return s.host ? `${s.host}/${s.tid}` : String(s.tid);
}

export function placementRows(samples: readonly PlacementSample[]): ThreadRow[] {
  const rows = new Map<string, ThreadRow>();
  for (const s of samples) {
    const key = threadKey(s);
    let r = rows.get(key);
    if (!r) {
      const tag = s.role === 'kernel-worker' ? '⚙ kernel' : s.role;
      r = { key, ...(s.host ? { host: s.host } : {}), tid: s.tid, pid: s.pid, comm: s.comm, role: s.role, label: `${s.host ? `${s.host} · ` : ''}${tag} · ${s.comm} ${s.pid}/${s.tid}`, samples: 0, cpus: new Map() };
      rows.set(key, r);
    }
    r.samples++;
    r.cpus.set(s.cpu, (r.cpus.get(s.cpu) ?? 0) + 1);
  }
  return [...rows.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.pid - b.pid || a.tid - b.tid);
}

/**
 * Where every thread ran: one row per thread (server, kernel workers, load generator), time
 * across, one marker per sample coloured by the CPU it was last seen on. Kernel worker rows are
 * shaded and drawn with diamonds. Points' start times are dotted verticals.
 */
export function placementFigure(run: RunResults | null | undefined): Figure {
  const samples = run?.placement ?? [];
  const rows = placementRows(samples);
  const order = rows.map((r) => r.label);
  const labelOf = new Map(rows.map((r) => [r.key, r.label]));
  const cpus = [...new Set(samples.map((s) => s.cpu))].sort((a, b) => a - b);
  const pointOf = new Map((run?.points ?? []).map((p) => [p.id, p]));
  const data: Record<string, unknown>[] = [];
  cpus.forEach((cpu, i) => {
    for (const kernel of [false, true]) {
      const ss = samples.filter((s) => s.cpu === cpu && (s.role === 'kernel-worker') === kernel);
      if (ss.length === 0) continue;
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: kernel ? `CPU ${cpu} (kernel worker)` : `CPU ${cpu}`,
        legendgroup: `cpu${cpu}`,
        x: ss.map((s) => s.t_ms / 1000),
        y: ss.map((s) => labelOf.get(threadKey(s))),
        text: ss.map((s) => {
          const p = s.point_id === null ? undefined : pointOf.get(s.point_id);
          const at = p ? `<br>point ${p.seq}: ${p.backend}, ${p.connections} conn, repeat ${p.repeat}` : '';
          return `${s.comm} pid ${s.pid} tid ${s.tid} (${s.role})<br>CPU ${s.cpu} (allowed ${s.allowed_cpus})<br>t = ${(s.t_ms / 1000).toFixed(2)} s${at}`;
        }),
        hovertemplate: '%{text}<extra></extra>',
        marker: {
          color: PALETTE[i % PALETTE.length],
          symbol: kernel ? 'diamond' : 'square',
          size: kernel ? 9 : 7,
          line: kernel ? { color: '#000', width: 1 } : { width: 0 },
        },
      });
    }
  });
  const shapes: Record<string, unknown>[] = [];
  rows.forEach((r, i) => {
    if (r.role === 'kernel-worker') {
      shapes.push({ type: 'rect', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: i - 0.5, y1: i + 0.5, fillcolor: 'rgba(255, 196, 0, 0.18)', line: { width: 0 }, layer: 'below' });
    }
  });
  if (run) {
    const t0 = Date.parse(run.run.started_at);
    for (const p of run.points) {
      const t = (Date.parse(p.started_at) - t0) / 1000;
      if (Number.isFinite(t) && t >= 0) {
        shapes.push({ type: 'line', x0: t, x1: t, xref: 'x', yref: 'paper', y0: 0, y1: 1, line: { color: '#999', width: 1, dash: 'dot' } });
      }
    }
  }
  const l = layout('time since run start (s)', '', {
    height: Math.max(220, rows.length * 20 + 110),
    shapes,
    margin: { l: 12, r: 12, t: 8, b: 40 },
  });
  Object.assign(l.yaxis as object, { type: 'category', categoryorder: 'array', categoryarray: [...order].reverse(), title: { text: '' }, rangemode: 'normal', tickfont: { family: 'ui-monospace, SFMono-Regular, Menlo, monospace', size: 10 } });
  return { data, layout: l, ...(samples.length === 0 ? { empty: 'no placement samples in this run' } : {}) };
}

export interface LabelledRun {
  label: string;
  results: RunResults;
}

/** Several runs on one chart: metric against connections (closed loop) or against achieved requests/s (open loop), one colour per run. */
export function compareFigure(runs: readonly LabelledRun[], metric: Metric): Figure {
  const groups = new Map<string, PointRecord[]>();
  for (const r of runs) groups.set(r.label, okPoints(r.results));
  const all = [...groups.values()].flat();
  const open = all.length > 0 && all.every((p) => p.rate_per_s !== null);
  const x: PlotField = open ? 'requests_per_s' : 'connections';
  const l = layout(fieldLabel(x), METRIC_LABELS[metric]);
  if (!open) Object.assign(l.xaxis as object, sweepAxis(all.map((p) => p.connections)));
  Object.assign(l.yaxis as object, { tickformat: ',.0f' });
  if (all.length === 0) return { data: [], layout: l, empty: 'pick runs with finished points' };
  return { data: seriesTraces(groups, x, metric), layout: l, warned: warnedCount(all) };
}

export interface CompareRow {
  /** The backend and configuration key. */
  key: string;
  backend: string;
  config: string;
  workers: number;
  connections: number;
  /**
   * Per run (same order as the input): median of the metric over repeats with its 95% CI (order
   * statistics; null below 6 repeats), the repeat count, and against the baseline run the ratio of
   * medians with its bootstrap CI, the Mann-Whitney p (runs are independent: unpaired) and the verdict.
   */
  cells: {
    median: number | null;
    ci_low: number | null;
    ci_high: number | null;
    n: number;
    min: number | null;
    max: number | null;
    ratio: number | null;
    ratio_ci: [number, number] | null;
    p_value: number | null;
    verdict: Verdict | null;
    reason: string | null;
    warned: number;
  }[];
}

/** One row per configuration (backend and configuration key) across runs, ratios to the baseline. */
export function compareTable(runs: readonly RunResults[], baselineIndex: number, metric: Metric): CompareRow[] {
  const keys = new Map<string, PointRecord>();
  for (const r of runs) for (const p of okPoints(r)) keys.set(`${p.backend}|${p.config}`, p);
  const sorted = [...keys.entries()].sort(([, a], [, b]) => a.backend.localeCompare(b.backend) || compareConfigurations(configurationOf(a), configurationOf(b)));
  return sorted.map(([key, first]) => {
    const stats = runs.map((r) => {
      const pts = okPoints(r).filter((p) => `${p.backend}|${p.config}` === key);
      const vs = pts.map((p) => fieldValue(p, metric)).filter((v): v is number => v !== null);
      const sum = vs.length ? summarize(vs) : null;
      return { values: vs, median: median(vs), ci_low: sum?.ci_low ?? null, ci_high: sum?.ci_high ?? null, n: vs.length, min: vs.length ? Math.min(...vs) : null, max: vs.length ? Math.max(...vs) : null, warned: warnedCount(pts) };
    });
    const baseStats = stats[baselineIndex];
    const base = baseStats?.median ?? null;
    return {
      key,
      backend: first.backend,
      config: first.config,
      workers: first.workers,
      connections: first.connections,
      cells: stats.map(({ values, ...s }, i) => {
        const c = i !== baselineIndex && base && baseStats && values.length > 0 && metricKnown(metric) ? safeCompare(baseStats.values, values, metric, key) : null;
        return { ...s, ratio: base && s.median !== null ? s.median / base : null, ratio_ci: c ? [c.ci_low, c.ci_high] as [number, number] : null, p_value: c?.p_value ?? null, verdict: c?.verdict ?? null, reason: c?.reason ?? null };
      }),
    };
  });
}
