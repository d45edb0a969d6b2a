// What the UI's figures share: the Figure type, the layout, and markers for every repeat with a
// median line through them — the report's rules (common/chart.ts: median line, log axes and
// ticks, palette), so a chart reads the same in the app and in report.html. Lines are drawn with
// simplify:false and markers are never decimated, so tail percentiles keep every point. Points the
// load generator warned about are outlined in black and say why on hover.
import { METRICS, type Metric } from '../../../electron/engine/common/metrics';
import { okMeasured } from '../../../electron/engine/common/points';
import type { PointRecord } from '../../../electron/engine/model';
import { fieldValue, medianLine, PALETTE, sweepTicks, wantsLog } from '../../../electron/engine/common/chart';
import { fieldLabel, type PlotField } from '../../../electron/engine/common/labels';
import type { RunResults } from '../../../electron/engine/common/results';

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  /** Shown instead of an empty chart. */
  empty?: string;
  /** Shown under the chart: how many drawn points carry generator warnings. */
  warned?: number;
}

export const FONT = { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 11, color: '#24292f' };
const WARN = '#111111';

export const METRIC_LABELS: Record<Metric, string> = Object.fromEntries(Object.entries(METRICS).map(([k, m]) => [k, m.label])) as Record<Metric, string>;

/** Points of the sweep that ended ok (capacity probes and failed points are not drawn). */
export function okPoints(run: RunResults | null | undefined): PointRecord[] {
  return okMeasured(run?.points ?? []);
}

export function layout(x: string, y: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
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

/** A swept axis drawn by the report's rules (chart.ts): log when it spans 16× or more, a tick at each value when few. */
export function sweepAxis(field: 'connections' | 'workers', values: number[]): Record<string, unknown> {
  const axis: Record<string, unknown> = { type: wantsLog(field, values) ? 'log' : 'linear' };
  const ticks = sweepTicks(field, values);
  if (ticks) Object.assign(axis, { tickmode: 'array', tickvals: ticks, ticktext: ticks.map(String) });
  return axis;
}

/** A chart of counts (y with thousands separators); with `sweep`, x is that swept axis drawn by sweepAxis's rules. */
export function countLayout(x: string, y: string, sweep?: { field: 'connections' | 'workers'; values: number[] }): Record<string, unknown> {
  const l = layout(x, y);
  if (sweep) Object.assign(l.xaxis as object, sweepAxis(sweep.field, sweep.values));
  Object.assign(l.yaxis as object, { tickformat: ',.0f' });
  return l;
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
export function seriesTraces(
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
    const line = medianLine(usable, x, y);
    out.push({
      type: 'scatter',
      mode: 'lines',
      name: `${name} median`,
      legendgroup: name,
      showlegend: false,
      x: line.x,
      y: line.y,
      line: { color, width: 1.5, simplify: false, dash: opts.dash ?? 'solid' },
      hoverinfo: 'skip',
    });
  });
  return out;
}

export function groupBy(points: readonly PointRecord[], key: (p: PointRecord) => string): Map<string, PointRecord[]> {
  const m = new Map<string, PointRecord[]>();
  for (const p of points) m.set(key(p), [...(m.get(key(p)) ?? []), p]);
  return m;
}

export function backendWorkers(points: readonly PointRecord[]): (p: PointRecord) => string {
  const many = new Set(points.map((p) => p.workers)).size > 1;
  return (p) => (many ? `${p.backend} · ${p.workers} workers` : p.backend);
}

export const warnedCount = (pts: readonly PointRecord[]) => pts.filter((p) => p.warnings.length > 0).length;

/** Closed-loop points only: with a rate swept, requests/s is set by the rate, not by connections. */
export const closedLoop = (pts: readonly PointRecord[]) => pts.filter((p) => p.rate_per_s === null);

/** requests/s against connections: one series per backend (and worker count when swept). */
