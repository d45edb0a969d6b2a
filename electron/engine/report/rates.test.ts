// An open-loop run in the report: capacity probes listed but not plotted or summarised, tail
// latency against achieved rate with one line point per configuration, and the generator's
// warnings on the points, in the tables, the chart data and the CSV.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlotCell } from '../common/notebook/schema';
import { chartSpec, plotlyFigure } from '../common/chart';
import { rateFixture } from './fixture';
import { reportHtml } from './html';
import { CSV_COLUMNS, resultsCsv } from './results-csv';
import { summarizePoints } from '../common/summary';

const results = rateFixture();
const run = results.runs[0]!;
const tail = results.notebook.content.cells.find((c) => c.id === 'tail') as PlotCell;

test('tail latency chart: a series per backend and metric, probes left out, the line joins configurations in sweep order', () => {
  const spec = chartSpec(tail, run);
  assert.deepEqual(
    spec.series.map((s) => s.name),
    ['baseline · p99 latency', 'baseline · p99.9 latency', 'saio-uring · p99 latency', 'saio-uring · p99.9 latency'],
  );
  assert.deepEqual(
    spec.series.map((s) => [s.group, s.metric]),
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ],
  );
  const b = spec.series[0]!;
  assert.equal(b.x.length, 4, 'two rates × two repeats; the probe is not a point of the sweep');
  assert.deepEqual(b.median_x, [5998.5, 9901.5]);
  assert.deepEqual(b.median_y, [301.5, 40_001.5]);
  assert.equal(spec.warned, 2);
  assert.deepEqual(b.warnings.filter(Boolean), ['achieved 91.7% of the offered load (9,900 of 10,800/s)', 'achieved 91.7% of the offered load (9,900 of 10,800/s)']);
  assert.equal(spec.y.log, true, 'tail latencies over a rate sweep: log axis');
  assert.equal(spec.y.label, 'latency (µs)');
  const fig = plotlyFigure(spec);
  const markers = fig.data.filter((t) => t.mode === 'markers');
  assert.deepEqual((markers[0]!.marker as { line: { width: number[] } }).line.width, [0, 2, 0, 2], 'warned points outlined');
  assert.deepEqual(
    fig.data.filter((t) => t.mode === 'lines').map((t) => (t.line as { dash: string }).dash),
    ['solid', 'dash', 'solid', 'dash'],
  );
  assert.equal((markers[0]!.marker as { color: string }).color, (markers[1]!.marker as { color: string }).color, 'a backend keeps its colour for both percentiles');
});

test('summary: one row per backend and configuration key, probes left out, warned points counted', () => {
  const rows = summarizePoints(run.points);
  assert.deepEqual(
    rows.map((r) => `${r.backend} ${r.config} n=${r.n} warned=${r.warned}`),
    ['baseline w=1 c=50 rate=0.5cap n=2 warned=0', 'baseline w=1 c=50 rate=0.9cap n=2 warned=2', 'saio-uring w=1 c=50 rate=0.5cap n=2 warned=0', 'saio-uring w=1 c=50 rate=0.9cap n=2 warned=0'],
  );
  assert.equal(rows[1]?.rate_per_s, 10_800);
});

test('report: the probes listed, rates asked and offered, the warning beside its point and under the chart', () => {
  const html = reportHtml(results);
  assert.equal((html.match(/<tr class="status-ok probe">/g) ?? []).length, 2);
  assert.equal((html.match(/<tr class="status-ok warned">/g) ?? []).length, 2);
  assert.ok(html.includes('⚠ achieved 91.7% of the offered load (9,900 of 10,800/s)'));
  assert.ok(html.includes('<th class="num">rate asked</th>') && html.includes('10,800 (0.9× cap)'));
  assert.match(html, /⚠ 2 points \(outlined in black\) carry warnings from the load generator/);
  assert.ok(html.includes('<code>w=1 c=50 rate=0.9cap</code>'));
  assert.ok(html.includes('open loop at 0.5, 0.9 × capacity (closed-loop probe of 2 s per backend first)'));
  const lines = resultsCsv(results).split('\r\n');
  assert.equal(lines.filter((l) => l.includes('"achieved 91.7% of the offered load (9,900 of 10,800/s)"')).length, 2, 'the warning, quoted (it has commas)');
  const csv = lines.map((l) => l.split(','));
  assert.deepEqual(
    csv.slice(1, 3).map((r) => r[CSV_COLUMNS.indexOf('kind')]),
    ['probe', 'probe'],
  );
});
