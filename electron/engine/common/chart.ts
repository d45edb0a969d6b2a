// Plot cells: which numbers a chart shows (chartSpec, run here) and how plotly draws them
// (plotlyFigure, run in the page). The page carries the spec as JSON, one entry per series value
// (and y metric) with every repeat as its own point, so what the reader sees can be checked
// against the data. Points the generator warned about are marked (outlined) and say why.
import { runAccel, withAccel } from './accel';
import { axisValue, compareConfigurations, configurationOf } from './axes';
import { metricValue, type Metric } from './metrics';
import { isMeasured } from './points';
import type { PointRecord } from '../model';
import type { PlotCell } from './notebook/schema';
import { fieldLabel, isSweepAxis, type PlotField } from './labels';
import { median } from './summary';
import { summarize } from './stats/summary';
import type { RunResults } from './results';

export interface ChartSeries {
  /** Legend text: the series value, and the y metric when the plot has several. */
  name: string;
  /** Index of the series value (same colour for every y metric of it). */
  group: number;
  /** Index of the y metric (its own marker and dash). */
  metric: number;
  /** One entry per ok point (every repeat), in point order. */
  x: number[];
  y: number[];
  repeat: number[];
  seq: number[];
  /** The point's warnings joined ("" when none): shown on hover, outlined on the chart. */
  warnings: string[];
  /** The line drawn through the repeats (see medianLine). */
  median_x: number[];
  median_y: number[];
  /** The 95% interval of each median (order statistics; null below 6 repeats), drawn as error bars. */
  ci_low: (number | null)[];
  ci_high: (number | null)[];
}

export interface ChartSpec {
  cell_id: string;
  run_id: string | null;
  /** ticks: the distinct x values, labelled exactly when there are few (a sweep's points). */
  x: { field: PlotField; label: string; log: boolean; ticks: number[] | null };
  y: { fields: Metric[]; label: string; log: boolean };
  series_field: PlotCell['series'];
  series: ChartSeries[];
  /** How many plotted points carry warnings. */
  warned: number;
}

/** Series colours, in order: the report's charts and the UI's share them. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'] as const;

export function fieldValue(p: PointRecord, f: PlotField): number | null {
  const v = isSweepAxis(f) ? axisValue(p, f) : metricValue(p, f);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function yFields(cell: PlotCell): Metric[] {
  return Array.isArray(cell.y) ? cell.y : [cell.y];
}

function seriesValue(p: PointRecord, field: PlotCell['series']): string {
  if (field === 'rate') return p.rate_of_capacity !== null ? `${p.rate_of_capacity}×capacity` : p.rate_per_s === null ? 'closed loop' : `${p.rate_per_s}/s`;
  return String(p[field]);
}

/**
 * The line through the repeats. On a swept x (connections, workers, rate) it joins the per-x
 * medians. On a measured x (requests/s) no two repeats share an x, so it joins, in sweep order,
 * one point per configuration: the median x and median y of that configuration's repeats.
 */
export function medianLine(pts: readonly PointRecord[], x: PlotField, y: Metric): { x: number[]; y: number[]; ci_low: (number | null)[]; ci_high: (number | null)[] } {
  const groups = new Map<string, PointRecord[]>();
  for (const p of pts) {
    const key = isSweepAxis(x) ? String(fieldValue(p, x)) : p.config;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const ordered = [...groups.values()].sort((a, b) => (isSweepAxis(x) ? fieldValue(a[0]!, x)! - fieldValue(b[0]!, x)! : compareConfigurations(configurationOf(a[0]!), configurationOf(b[0]!))));
  const intervals = ordered.map((g) => summarize(g.map((p) => fieldValue(p, y)!)));
  return {
    x: ordered.map((g) => median(g.map((p) => fieldValue(p, x)!))!),
    y: ordered.map((g) => median(g.map((p) => fieldValue(p, y)!))!),
    ci_low: intervals.map((s) => s.ci_low),
    ci_high: intervals.map((s) => s.ci_high),
  };
}

// Counts and rates spread over orders of magnitude (1 … 1000 connections) read better on a log axis.
export function wantsLog(f: PlotField, values: readonly number[]): boolean {
  if (!isSweepAxis(f)) return false;
  const positive = values.filter((v) => v > 0);
  return positive.length > 0 && Math.max(...positive) / Math.min(...positive) >= 16;
}

// A sweep axis reads best with a tick at each value swept.
export function sweepTicks(f: PlotField, values: readonly number[]): number[] | null {
  if (!isSweepAxis(f) || f === 'rate') return null;
  const ticks = [...new Set(values)].sort((a, b) => a - b);
  return ticks.length > 0 && ticks.length <= 12 ? ticks : null;
}

/** What a plot cell shows for a run (null: the experiment has no run; the chart is empty). */
export function chartSpec(cell: PlotCell, run: RunResults | null): ChartSpec {
  const ys = yFields(cell);
  // Failed and skipped points have no numbers worth plotting; the points table lists them.
  // Capacity probes are not points of the sweep.
  const usable = (run?.points ?? []).filter((p) => isMeasured(p) && p.status === 'ok' && fieldValue(p, cell.x) !== null);
  const groups = new Map<string, PointRecord[]>();
  for (const p of usable) {
    const key = seriesValue(p, cell.series);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  // Backends keep the cell's order (first appearance); numeric series sort ascending.
  const names = [...groups.keys()];
  if (cell.series !== 'backend') names.sort((a, b) => parseFloat(a) - parseFloat(b) || a.localeCompare(b));
  const series: ChartSeries[] = [];
  names.forEach((name, group) => {
    ys.forEach((y, metric) => {
      const pts = groups.get(name)!.filter((p) => fieldValue(p, y) !== null);
      if (pts.length === 0) return;
      const line = medianLine(pts, cell.x, y);
      // Plotly reads a few tags in legend text; names are registry names or numbers anyway.
      // A guest's numbers say how its CPU ran ("saio-kmod [tcg]"): not to be read as a host's.
      const clean = withAccel(name.replace(/[<>&]/g, ''), runAccel(run?.hosts));
      series.push({
        name: ys.length > 1 ? `${clean} · ${fieldLabel(y).replace(/ \(.*\)$/, '')}` : clean,
        group,
        metric,
        x: pts.map((p) => fieldValue(p, cell.x)!),
        y: pts.map((p) => fieldValue(p, y)!),
        repeat: pts.map((p) => p.repeat),
        seq: pts.map((p) => p.seq),
        warnings: pts.map((p) => p.warnings.join('; ')),
        median_x: line.x,
        median_y: line.y,
        ci_low: line.ci_low,
        ci_high: line.ci_high,
      });
    });
  });
  const xs = usable.map((p) => fieldValue(p, cell.x)!);
  const yLabel = ys.length === 1 ? fieldLabel(ys[0]!) : ys.every((y) => y.endsWith('_us')) ? 'latency (µs)' : ys.map(fieldLabel).join(', ');
  return {
    cell_id: cell.id,
    run_id: run?.run.id ?? null,
    x: { field: cell.x, label: fieldLabel(cell.x), log: wantsLog(cell.x, xs), ticks: sweepTicks(cell.x, xs) },
    // Tail latencies across a rate sweep span orders of magnitude once the server saturates.
    y: { fields: ys, label: yLabel, log: ys.every((y) => y.endsWith('_us')) && !isSweepAxis(cell.x) && usable.some((p) => p.rate_per_s !== null) },
    series_field: cell.series,
    series,
    warned: usable.filter((p) => p.warnings.length > 0).length,
  };
}

/** The part of a plotly scatter trace the report sets. */
export interface PlotlyTrace {
  type: 'scatter';
  mode: 'markers' | 'lines';
  name: string;
  legendgroup: string;
  showlegend?: boolean;
  x: number[];
  y: number[];
  [option: string]: unknown;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
}

/**
 * Plotly data and layout for a spec: per series, one marker trace holding every repeat and one
 * line through the medians, sharing a colour (per series value) and a legend entry; each y metric
 * has its own marker and dash. Points with warnings are outlined in black and say why on hover.
 * This function runs in the page (html.ts inlines its source), so it must use nothing from
 * outside its own body: the page passes the palette (its default is read only when it is not).
 */
export function plotlyFigure(spec: ChartSpec, palette: readonly string[] = PALETTE): PlotlyFigure {
  const symbols = ['circle', 'diamond', 'square', 'triangle-up'];
  const dashes = ['solid', 'dash', 'dot', 'dashdot'];
  const rateY = spec.y.fields.length === 1 && (spec.y.fields[0] === 'requests_per_s' || spec.y.fields[0] === 'offered_per_s');
  const yFormat = rateY ? ',.0f' : ',.1f';
  const xaxis: Record<string, unknown> = { title: { text: spec.x.label }, type: spec.x.log ? 'log' : 'linear', zeroline: false };
  if (spec.x.ticks) Object.assign(xaxis, { tickmode: 'array', tickvals: spec.x.ticks, ticktext: spec.x.ticks.map(String) });
  const data: PlotlyTrace[] = [];
  spec.series.forEach((s) => {
    const color = palette[s.group % palette.length];
    const group = spec.series_field === 'backend' || spec.series_field === 'rate' ? s.name : `${s.name} ${spec.series_field}`;
    const warnedLine = s.warnings.map((w) => (w ? 2 : 0));
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: group,
      legendgroup: group,
      x: s.x,
      y: s.y,
      customdata: s.repeat.map((r, k) => [r, s.seq[k], s.warnings[k] ? `<br>⚠ ${s.warnings[k]}` : '']),
      // The raw repeats, faint: the medians and their intervals carry the reading.
      marker: { color, size: 7, opacity: 0.35, symbol: symbols[s.metric % symbols.length], line: { color: '#111111', width: warnedLine } },
      hovertemplate: `${group}<br>${spec.x.label}: %{x:,}<br>${spec.y.label}: %{y:${yFormat}}<br>repeat %{customdata[0]}, point %{customdata[1]}%{customdata[2]}<extra></extra>`,
    });
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${group} median`,
      legendgroup: group,
      showlegend: false,
      x: s.median_x,
      y: s.median_y,
      line: { color, width: 2, dash: dashes[s.metric % dashes.length] },
      hovertemplate: `${group} median: %{y:${yFormat}}<extra></extra>`,
    });
    if (s.ci_low.some((v) => v !== null)) {
      // Error bars at the medians: each configuration's 95% interval (none below 6 repeats).
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: `${group} 95% CI of the median`,
        legendgroup: group,
        showlegend: false,
        x: s.median_x,
        y: s.median_y,
        marker: { color, size: 4, symbol: symbols[s.metric % symbols.length] },
        error_y: {
          type: 'data',
          symmetric: false,
          array: s.ci_high.map((h, k) => (h === null ? null : h - s.median_y[k]!)),
          arrayminus: s.ci_low.map((l, k) => (l === null ? null : s.median_y[k]! - l)),
          color,
          thickness: 1.5,
          width: 5,
        },
        customdata: s.ci_low.map((l, k) => [l, s.ci_high[k]]),
        hovertemplate: `${group} median %{y:${yFormat}}, 95% CI %{customdata[0]:${yFormat}} – %{customdata[1]:${yFormat}}<extra></extra>`,
      });
    }
  });
  const yaxis: Record<string, unknown> = { title: { text: spec.y.label }, tickformat: ',.0f' };
  Object.assign(yaxis, spec.y.log ? { type: 'log' } : { rangemode: 'tozero' });
  return {
    data,
    layout: {
      xaxis,
      yaxis,
      margin: { l: 70, r: 20, t: 20, b: 50 },
      legend: { orientation: 'h', y: -0.2 },
      font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12 },
      hovermode: 'closest',
    },
  };
}
