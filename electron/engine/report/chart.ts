// Plot cells: which numbers a chart shows (chartSpec, run here) and how plotly draws them
// (plotlyFigure, run in the page). The page carries the spec as JSON, one entry per series value
// with every repeat as its own point, so what the reader sees can be checked against the data.
import type { PointRecord } from '../model';
import type { PlotCell } from '../notebook/schema';
import { METRIC_LABELS } from './labels';
import { median } from './summary';
import type { RunResults } from './types';

type Axis = PlotCell['x'];

export interface ChartSeries {
  /** The value of the cell's `series` field shared by these points, as text. */
  name: string;
  /** One entry per ok point (every repeat), in point order. */
  x: number[];
  y: number[];
  repeat: number[];
  seq: number[];
  /** The line drawn through the repeats (see medianLine). */
  median_x: number[];
  median_y: number[];
}

export interface ChartSpec {
  cell_id: string;
  run_id: string | null;
  /** ticks: the distinct x values, labelled exactly when there are few (a sweep's points). */
  x: { field: Axis; label: string; log: boolean; ticks: number[] | null };
  y: { field: Axis; label: string };
  series_field: PlotCell['series'];
  series: ChartSeries[];
}

export const AXIS_LABELS: Record<Axis, string> = METRIC_LABELS;

function axisValue(p: PointRecord, axis: Axis): number | null {
  const v = p[axis];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The line through the repeats. On a swept x (connections, workers) it joins the per-x medians.
 * On a measured x (requests/s) no two repeats share an x, so it joins, in sweep order, one point
 * per sweep setting: the median x and median y of that setting's repeats.
 */
function medianLine(pts: readonly PointRecord[], xAxis: Axis, yAxis: Axis): { x: number[]; y: number[] } {
  const swept = xAxis === 'connections' || xAxis === 'workers';
  const groups = new Map<number, PointRecord[]>();
  for (const p of pts) {
    const key = swept ? axisValue(p, xAxis)! : p.workers * 1e9 + p.connections;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  return {
    x: keys.map((k) => median(groups.get(k)!.map((p) => axisValue(p, xAxis)!))!),
    y: keys.map((k) => median(groups.get(k)!.map((p) => axisValue(p, yAxis)!))!),
  };
}

// Counts spread over orders of magnitude (1 … 1000 connections) read better on a log axis.
function wantsLog(axis: Axis, values: readonly number[]): boolean {
  if (axis !== 'connections' && axis !== 'workers') return false;
  const positive = values.filter((v) => v > 0);
  return positive.length > 0 && Math.max(...positive) / Math.min(...positive) >= 16;
}

// A sweep axis (connections, workers) reads best with a tick at each value swept.
function sweepTicks(axis: Axis, values: readonly number[]): number[] | null {
  if (axis !== 'connections' && axis !== 'workers') return null;
  const ticks = [...new Set(values)].sort((a, b) => a - b);
  return ticks.length > 0 && ticks.length <= 12 ? ticks : null;
}

/** What a plot cell shows for a run (null: the experiment has no run; the chart is empty). */
export function chartSpec(cell: PlotCell, run: RunResults | null): ChartSpec {
  // Failed and skipped points have no numbers worth plotting; the points table lists them.
  const usable = (run?.points ?? []).filter(
    (p) => p.status === 'ok' && axisValue(p, cell.x) !== null && axisValue(p, cell.y) !== null,
  );
  const groups = new Map<string, PointRecord[]>();
  for (const p of usable) {
    const key = String(p[cell.series]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  // Backends keep the cell's order (first appearance); numeric series sort ascending.
  const names = [...groups.keys()];
  if (cell.series !== 'backend') names.sort((a, b) => Number(a) - Number(b));
  const series = names.map((name): ChartSeries => {
    const pts = groups.get(name)!;
    const x = pts.map((p) => axisValue(p, cell.x)!);
    const y = pts.map((p) => axisValue(p, cell.y)!);
    const line = medianLine(pts, cell.x, cell.y);
    return {
      // Plotly reads a few tags in legend text; names are registry names or numbers anyway.
      name: name.replace(/[<>&]/g, ''),
      x,
      y,
      repeat: pts.map((p) => p.repeat),
      seq: pts.map((p) => p.seq),
      median_x: line.x,
      median_y: line.y,
    };
  });
  const xs = usable.map((p) => axisValue(p, cell.x)!);
  return {
    cell_id: cell.id,
    run_id: run?.run.id ?? null,
    x: { field: cell.x, label: AXIS_LABELS[cell.x], log: wantsLog(cell.x, xs), ticks: sweepTicks(cell.x, xs) },
    y: { field: cell.y, label: AXIS_LABELS[cell.y] },
    series_field: cell.series,
    series,
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
 * line through the per-x medians, sharing a colour and a legend entry. This function runs in
 * the page (html.ts inlines its source), so it must use nothing from outside its own body.
 */
export function plotlyFigure(spec: ChartSpec): PlotlyFigure {
  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  const yFormat = spec.y.field === 'requests_per_s' ? ',.0f' : ',.1f';
  const xaxis: Record<string, unknown> = { title: { text: spec.x.label }, type: spec.x.log ? 'log' : 'linear', zeroline: false };
  if (spec.x.ticks) Object.assign(xaxis, { tickmode: 'array', tickvals: spec.x.ticks, ticktext: spec.x.ticks.map(String) });
  const data: PlotlyTrace[] = [];
  spec.series.forEach((s, i) => {
    const color = palette[i % palette.length];
    const group = spec.series_field === 'backend' ? s.name : `${s.name} ${spec.series_field}`;
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: group,
      legendgroup: group,
      x: s.x,
      y: s.y,
      customdata: s.repeat.map((r, k) => [r, s.seq[k]]),
      marker: { color, size: 8, opacity: 0.7 },
      hovertemplate: `${group}<br>${spec.x.label}: %{x}<br>${spec.y.label}: %{y:${yFormat}}<br>repeat %{customdata[0]}, point %{customdata[1]}<extra></extra>`,
    });
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${group} median`,
      legendgroup: group,
      showlegend: false,
      x: s.median_x,
      y: s.median_y,
      line: { color, width: 2 },
      hovertemplate: `${group} median: %{y:${yFormat}}<extra></extra>`,
    });
  });
  return {
    data,
    layout: {
      xaxis,
      yaxis: { title: { text: spec.y.label }, rangemode: 'tozero', tickformat: ',.0f' },
      margin: { l: 70, r: 20, t: 20, b: 50 },
      legend: { orientation: 'h', y: -0.2 },
      font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12 },
      hovermode: 'closest',
    },
  };
}
