// Figures for a run's results: pure functions from records to plotly data + layout, drawn by the
// shared rules of traces.ts (every repeat a marker, a median line through them).
import { METRICS, PERCENTILE_METRICS, TAIL_METRICS, type Metric } from '../../../electron/engine/common/metrics';
import type { PlotCell } from '../../../electron/engine/common/notebook/schema';
import { chartSpec, PALETTE, plotlyFigure } from '../../../electron/engine/common/chart';
import type { RunResults } from '../../../electron/engine/common/results';
import { backendWorkers, closedLoop, countLayout, FONT, groupBy, layout, okPoints, seriesTraces, warnedCount, type Figure } from './traces';

export function throughputFigure(run: RunResults | null | undefined): Figure {
  const pts = closedLoop(okPoints(run));
  if (pts.length === 0)
    return {
      data: [],
      layout: layout('connections', 'requests/s'),
      empty: okPoints(run).length ? 'no closed-loop points in this run (see tail latency against achieved rate)' : 'no finished points yet',
    };
  const data = seriesTraces(groupBy(pts, backendWorkers(pts)), 'connections', 'requests_per_s');
  const l = countLayout('connections', 'requests/s', { field: 'connections', values: pts.map((p) => p.connections) });
  return { data, layout: l, warned: warnedCount(pts) };
}

export const PERCENTILES: { key: Metric; label: string }[] = PERCENTILE_METRICS.map((key) => ({ key, label: METRICS[key].short }));

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
  TAIL_METRICS.forEach((metric, k) => {
    const named = new Map([...byBackend.entries()].map(([b, ps]) => [`${b} · ${METRICS[metric].short}`, ps]));
    // Same colour for a backend's two percentiles: the i-th entry of `named` is the i-th backend.
    data.push(...seriesTraces(named, 'requests_per_s', metric, { colorOf: (_, i) => PALETTE[i % PALETTE.length]!, symbol: k === 0 ? 'circle' : 'diamond', dash: k === 0 ? 'solid' : 'dash' }));
  });
  return { data, layout: l, warned: warnedCount(pts) };
}

/** requests/s against server workers, one series per connection count. */
export function scalingFigure(run: RunResults | null | undefined): Figure {
  const pts = closedLoop(okPoints(run));
  if (pts.length === 0) return { data: [], layout: countLayout('server workers', 'requests/s'), empty: 'no finished closed-loop points yet' };
  const many = new Set(pts.map((p) => p.backend)).size > 1;
  const groups = groupBy(
    [...pts].sort((a, b) => a.connections - b.connections),
    (p) => (many ? `${p.connections} conn · ${p.backend}` : `${p.connections} conn`),
  );
  const l = countLayout('server workers', 'requests/s', { field: 'workers', values: pts.map((p) => p.workers) });
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
