import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlotCell } from './notebook/schema';
import { chartSpec, PALETTE, plotlyFigure, type ChartSpec } from './chart';
import { BACKENDS, CONNECTIONS, fixture, REPEATS } from '../report/fixture';

const results = fixture();
const run = results.runs[0]!;
const cell = (over: Partial<PlotCell> = {}): PlotCell => ({
  id: 'rps',
  type: 'plot',
  experiment: 'sweep',
  x: 'connections',
  y: 'requests_per_s',
  series: 'backend',
  ...over,
});

test('one series per backend, holding every ok repeat', () => {
  const spec = chartSpec(cell(), run);
  assert.deepEqual(
    spec.series.map((s) => s.name),
    [...BACKENDS],
  );
  const baseline = spec.series[0]!;
  assert.equal(baseline.x.length, CONNECTIONS.length * REPEATS);
  assert.deepEqual(baseline.repeat, [1, 2, 1, 2, 1, 2]);
  const expected = run.points.filter((p) => p.backend === 'baseline').map((p) => p.requests_per_s);
  assert.deepEqual(baseline.y, expected);
  // The failed repeat has no numbers: it is left out, the other repeat stays.
  assert.equal(spec.series[1]!.x.length, CONNECTIONS.length * REPEATS - 1);
  assert.equal(spec.x.log, true);
});

test('the median line goes through the per-x median of the repeats', () => {
  const s = chartSpec(cell(), run).series[0]!;
  assert.deepEqual(s.median_x, [...CONNECTIONS]);
  const at100 = s.y.filter((_, i) => s.x[i] === 100);
  assert.equal(s.median_y[1], (at100[0]! + at100[1]!) / 2);
});

test('numeric series sort ascending; a missing run gives an empty chart', () => {
  const byConn = chartSpec(cell({ x: 'workers', series: 'connections' }), run);
  assert.deepEqual(
    byConn.series.map((s) => s.name),
    ['10', '100', '1000'],
  );
  assert.equal(byConn.x.log, false);
  const empty = chartSpec(cell(), null);
  assert.deepEqual(empty.series, []);
  assert.equal(empty.run_id, null);
});

test('plotlyFigure runs from its own source alone (as in the page) and pairs markers with a median line', () => {
  const standalone = new Function(`return (${plotlyFigure.toString()})`)() as typeof plotlyFigure;
  const spec: ChartSpec = chartSpec(cell(), run);
  // The page passes the palette, as html.ts's script does; the module's default is the same one.
  const fig = standalone(spec, [...PALETTE]);
  assert.deepEqual(fig, plotlyFigure(spec));
  const markers = fig.data.filter((t) => t.mode === 'markers');
  const lines = fig.data.filter((t) => t.mode === 'lines');
  assert.equal(markers.length, BACKENDS.length);
  assert.equal(lines.length, BACKENDS.length);
  assert.deepEqual(markers[0]!.y, spec.series[0]!.y);
  assert.equal(markers[0]!.legendgroup, lines[0]!.legendgroup);
  assert.equal(lines[0]!.showlegend, false);
  assert.deepEqual(lines[0]!.x, [...CONNECTIONS]);
  assert.equal((fig.layout.xaxis as { type: string }).type, 'log');
});

test('on a measured x (latency against requests/s) the line joins one median point per sweep setting', () => {
  const s = chartSpec(cell({ x: 'requests_per_s', y: 'latency_p99_us' }), run).series[0]!;
  assert.equal(s.median_x.length, CONNECTIONS.length, 'one point per connection count, not per repeat');
  const at = (c: number) => run.points.filter((p) => p.backend === 'baseline' && p.connections === c);
  CONNECTIONS.forEach((c, i) => {
    const pts = at(c);
    assert.equal(s.median_x[i], (pts[0]!.requests_per_s! + pts[1]!.requests_per_s!) / 2);
    assert.equal(s.median_y[i], (pts[0]!.latency_p99_us! + pts[1]!.latency_p99_us!) / 2);
  });
});
