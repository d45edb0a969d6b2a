// report.html: one self-contained page (styles, data, plotly all inline; it loads nothing) that
// shows the notebook in its own order with each experiment's results and each plot.
import fs from 'node:fs';
import type { PlotCell } from '../common/notebook/schema';
import { chartSpec, PALETTE, plotlyFigure } from '../common/chart';
import { escapeHtml as esc, formatSeconds, jsonForScript } from '../common/format';
import { experimentSection } from './html-experiment';
import { comparisonSection, gateSection } from './html-statistics';
import { environmentSection, placementSection } from './html-run-details';
import { REPORT_CSS } from './html-style';
import { renderMarkdown } from '../common/markdown';
import { latestRunOf } from '../common/summary';
import type { ReplayResults } from '../common/results';

/** The plotly bundle the page inlines; read once per process. */
let plotlySource: string | null = null;
export function loadPlotly(): string {
  plotlySource ??= fs.readFileSync(require.resolve('plotly.js-basic-dist-min/plotly-basic.min.js'), 'utf8');
  // Inlined in a <script>; the library as shipped never contains this, but a bundle that did
  // would end the element early and show the rest as page text.
  if (/<\/script/i.test(plotlySource)) throw new Error('plotly bundle contains "</script" and cannot be inlined');
  return plotlySource;
}

function plotSection(cell: PlotCell, results: ReplayResults): string {
  const run = latestRunOf(results, cell.experiment);
  const spec = chartSpec(cell, run);
  const title = cell.title ? esc(cell.title) : `${esc(spec.y.label)} by ${esc(spec.x.label)}`;
  const joins = spec.x.field === 'connections' || spec.x.field === 'workers' || spec.x.field === 'rate' ? `the per-${esc(spec.x.label)} medians` : 'the medians of each configuration, in sweep order';
  const warned =
    spec.warned > 0 ? ` <span class="plot-warned">⚠ ${spec.warned} point${spec.warned === 1 ? '' : 's'} (outlined in black) carry warnings from the load generator; hover for why.</span>` : '';
  const note = run
    ? `Run <code>${esc(run.run.id)}</code> of <a href="#cell-${esc(cell.experiment)}"><code>${esc(cell.experiment)}</code></a>; ` + `one marker per point and repeat, the line joins ${joins}.${warned}`
    : `<code>${esc(cell.experiment)}</code> has no run in this replay.`;
  return (
    `<section class="cell plot" id="cell-${esc(cell.id)}">\n<h2>${title}</h2>\n<p class="muted">${note}</p>\n` +
    `<div class="saio-plot" id="plot-${esc(cell.id)}" data-chart="chart-${esc(cell.id)}"></div>\n` +
    `<script type="application/json" id="chart-${esc(cell.id)}">${jsonForScript(spec)}</script>\n` +
    `<noscript><p class="muted">The chart needs JavaScript; its data is in results.json.</p></noscript>\n</section>`
  );
}

// Runs in the page after plotly: draws every .saio-plot from its JSON island. plotlyFigure is
// inlined from its compiled source so the page and the tests use the same code.
function chartScript(): string {
  return `(function () {
  var plotlyFigure = ${plotlyFigure.toString()};
  var divs = document.querySelectorAll('.saio-plot');
  for (var i = 0; i < divs.length; i++) {
    var div = divs[i];
    var island = document.getElementById(div.getAttribute('data-chart'));
    if (!island || !window.Plotly) continue;
    var fig = plotlyFigure(JSON.parse(island.textContent), ${JSON.stringify(PALETTE)});
    window.Plotly.newPlot(div, fig.data, fig.layout, { responsive: true, displaylogo: false });
  }
})();`;
}

export interface ReportHtmlOptions {
  /** The plotly bundle to inline; the installed one when absent. */
  plotly?: string;
}

export function reportHtml(results: ReplayResults, options: ReportHtmlOptions = {}): string {
  const nb = results.notebook;
  const cells = nb.content.cells.map((cell) => {
    switch (cell.type) {
      case 'markdown':
        return `<section class="cell markdown" id="cell-${esc(cell.id)}">\n${renderMarkdown(cell.source)}\n</section>`;
      case 'experiment':
        return experimentSection(cell, latestRunOf(results, cell.id), results.quick, results.summaries);
      case 'plot':
        return plotSection(cell, results);
    }
  });
  const meta =
    `Notebook <code>${esc(nb.name)}</code> (revision <code>${esc(nb.revision_id)}</code>) · ` +
    `generated ${esc(results.generated_at)} · replay took ${esc(formatSeconds(results.elapsed_s))}` +
    (results.quick ? ' · <strong>quick replay</strong> (short durations; not for comparison)' : '');
  // Everything is concatenated, never passed through String.replace: the plotly source is full
  // of `$` sequences that replace() would interpret.
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${esc(results.format)}">`,
    `<title>${esc(nb.content.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${esc(nb.content.title)}</h1>`,
    `<p class="meta">${meta}</p>`,
    // The answer first: is a backend faster here, by how much, and how sure.
    comparisonSection(results),
    gateSection(results),
    cells.join('\n'),
    environmentSection(results.runs),
    placementSection(results.runs),
    '</main>',
    `<script>${options.plotly ?? loadPlotly()}</script>`,
    `<script>${chartScript()}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
