// A plotly chart. Plotly (the basic bundle: scatter, bar, pie; no eval) loads on first use, in its
// own chunk. Every chart can be saved as PNG or SVG. data-state="drawn" and data-traces tell
// tests (and people with devtools) what is on screen.
//
// Charts are drawn one per task and their cost is kept (charts/draw-queue.ts): a live run's next
// point is shown between two charts, and a live view redraws less often as its charts grow.
import { useEffect, useRef, useState } from 'react';
import type { PlotlyStatic } from 'plotly.js-basic-dist-min';
import { DrawQueue } from '../charts/draw-queue';
import type { Figure } from '../charts/traces';

let plotly: Promise<PlotlyStatic> | null = null;
export function loadPlotly(): Promise<PlotlyStatic> {
  plotly ??= import('plotly.js-basic-dist-min').then((m) => (m as { default?: PlotlyStatic }).default ?? (m as unknown as PlotlyStatic));
  return plotly;
}

/** Every chart of the page waits in one queue (draw-queue.ts). */
const charts = new DrawQueue<HTMLDivElement>();

/** What drawing every chart on screen once costs now (ms), by their last drawings. */
export function drawCostMs(): number {
  return charts.costMs();
}

const CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toggleSpikelines'],
};

export function Plot({ figure, name, testId, height = 320 }: { figure: Figure; name: string; testId?: string; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'drawn' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const h = (figure.layout.height as number | undefined) ?? height;
  useEffect(() => {
    let live = true;
    const div = el.current;
    if (!div) return;
    // A newer figure (or the chart leaving the screen) before this one's turn: it is not drawn.
    charts.enqueue(async () => {
      if (!live) return;
      try {
        const P = await loadPlotly();
        if (!live) return;
        const t0 = performance.now();
        await P.react(div, figure.data, { ...figure.layout, height: h, autosize: true }, CONFIG);
        charts.record(div, performance.now() - t0);
        if (!live) return;
        setState('drawn');
        setError(null);
      } catch (e: unknown) {
        if (!live) return;
        setState('error');
        setError(e instanceof Error ? e.message : String(e));
      }
    });
    return () => {
      live = false;
    };
  }, [figure, h]);
  useEffect(() => {
    const div = el.current;
    return () => {
      if (div) charts.forget(div);
      if (div && plotly) void plotly.then((P) => P.purge(div));
    };
  }, []);
  const save = (format: 'png' | 'svg') => {
    const div = el.current;
    if (div) void loadPlotly().then((P) => P.downloadImage(div, { format, filename: name, width: div.clientWidth || 900, height: h, scale: format === 'png' ? 2 : 1 }));
  };
  return (
    <div
      className="plot"
      data-testid={testId}
      data-state={state}
      data-warned={figure.warned ?? 0}
      data-traces={figure.data.length}
      data-points={figure.data.reduce((n, t) => n + (t.mode === 'markers' ? ((t.x as unknown[])?.length ?? 0) : 0), 0)}
    >
      <div className="plot-tools">
        {figure.empty && <span className="muted plot-empty">{figure.empty}</span>}
        {!figure.empty && (figure.warned ?? 0) > 0 && (
          <span className="plot-warned" data-testid="chart-warned" title="outlined in black; hover a point for the load generator's words">
            ⚠ {figure.warned} point{figure.warned === 1 ? '' : 's'} with warnings
          </span>
        )}
        <span className="spacer" />
        <button className="small" title="Save as PNG" onClick={() => save('png')}>
          PNG
        </button>
        <button className="small" title="Save as SVG" onClick={() => save('svg')}>
          SVG
        </button>
      </div>
      <div ref={el} className="plot-area" style={{ height: h }} />
      {error && <div className="field-error">chart: {error}</div>}
    </div>
  );
}
