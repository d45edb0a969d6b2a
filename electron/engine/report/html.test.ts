import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChartSpec } from '../common/chart';
import { fixture, REPEATS } from './fixture';
import { reportHtml } from './html';

const BREAKOUT = '</script><script>alert(1)</script>';

// How an HTML parser splits the page into script elements: each <script ...> runs to the first
// "</script" after it (the page never uses "<!--" inside scripts, which would change that).
function scripts(html: string): { attrs: string; body: string }[] {
  const found: { attrs: string; body: string }[] = [];
  const open = /<script\b([^>]*)>/gi;
  let m: RegExpExecArray | null;
  while ((m = open.exec(html))) {
    const end = html.toLowerCase().indexOf('</script', open.lastIndex);
    assert.ok(end >= 0, 'every script element is closed');
    found.push({ attrs: m[1]!, body: html.slice(open.lastIndex, end) });
    open.lastIndex = end;
  }
  return found;
}

function chartData(html: string, cellId: string): ChartSpec {
  const island = scripts(html).find((s) => s.attrs.includes(`id="chart-${cellId}"`));
  assert.ok(island, `chart data for ${cellId}`);
  assert.match(island.attrs, /type="application\/json"/);
  return JSON.parse(island.body);
}

const html = reportHtml(fixture());

test('the page is self-contained and inlines plotly', () => {
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes('Plotly'));
  assert.ok(Buffer.byteLength(html) > 500 * 1024);
  assert.ok(!/<(script|link|img)\b[^>]*\b(src|href)=/i.test(html), 'no external resources');
  assert.ok(html.includes('Plotly.newPlot'));
});

test('content follows the notebook order with stable plot ids', () => {
  const order = ['id="cell-intro"', 'id="cell-sweep"', 'id="cell-rps"', 'id="cell-p99"', 'id="environment"', 'id="placement"'];
  const at = order.map((s) => html.indexOf(s));
  assert.ok(
    at.every((i) => i >= 0),
    String(at),
  );
  assert.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
  );
  assert.match(html, /<div class="saio-plot" id="plot-rps"/);
  assert.match(html, /<div class="saio-plot" id="plot-p99"/);
  assert.match(html, /<h1>nginx static file: baseline vs saio-uring<\/h1>/);
  assert.match(html, /<strong>saio-uring<\/strong>/);
});

test('chart data has one series per backend with a point for every ok repeat', () => {
  const spec = chartData(html, 'rps');
  assert.deepEqual(
    spec.series.map((s) => s.name),
    ['baseline', 'saio-uring'],
  );
  const baseline = spec.series[0]!;
  assert.deepEqual(
    [...new Set(baseline.repeat)],
    Array.from({ length: REPEATS }, (_, i) => i + 1),
  );
  assert.equal(baseline.x.length, 6);
  assert.deepEqual(chartData(html, 'p99').y.fields, ['latency_p99_us']);
});

test('tables: formatted numbers, every repeat, verification marks and the failure reason', () => {
  assert.ok(html.includes('45,211'), 'requests/s with thousands separators');
  assert.match(html, /\d+ µs|\d+\.\d+ ms/);
  const rows = html.match(/<tr class="status-(ok|failed|skipped)">/g) ?? [];
  assert.equal(rows.length, 12);
  assert.equal((html.match(/>✓ [\d,]+</g) ?? []).length, 11);
  assert.ok(html.includes('✗</span> <span class="reason">wrk exited with code 1: &quot;socket: too many open files&quot;, giving up'));
  assert.ok(html.includes('<td class="num">45,211</td>'));
});

test('environment and placement appendices', () => {
  assert.ok(html.includes('6.8.0-saio+'));
  assert.ok(html.includes('AMD EPYC 7543 32-Core Processor'));
  assert.ok(html.includes('nginx 1.24.0'));
  assert.ok(html.includes('16 GiB'));
  assert.match(html, /3f2c9a1d0b7e<\/code> <span class="bad">\(dirty\)/);
  assert.ok(html.includes('<th scope="row">governor</th><td>performance</td>'));
  assert.ok(html.includes('<code>saio-kw/0</code>'));
  // The driver thread moved between CPUs 2 and 3; its context switches grew by 80 over the samples.
  assert.match(html, /<code>wrk<\/code><\/td><td class="num">3<\/td><td>2-3<\/td><td>2-3<\/td><td class="num">80<\/td>/);
});

test('a </script> breakout in markdown, titles or reasons stays inert text', () => {
  const page = reportHtml(fixture({ markdown: `hi ${BREAKOUT}`, failReason: `boom, "x" ${BREAKOUT}`, title: `T ${BREAKOUT}` }));
  const found = scripts(page);
  // plotly, the chart starter and one data island per plot cell: nothing else.
  assert.equal(found.length, 4);
  assert.equal(found.filter((s) => s.attrs.includes('application/json')).length, 2);
  assert.ok(!page.includes('<script>alert'));
  assert.ok(page.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  for (const s of found.filter((f) => f.attrs.includes('application/json'))) assert.doesNotThrow(() => JSON.parse(s.body));
});

test('odd data in a chart (a backend name that is markup) cannot close its JSON island', () => {
  const results = fixture();
  results.runs[0]!.points[0]!.backend = 'x</script><script>alert(1)//';
  const page = reportHtml(results, { plotly: '/* plotly stub */' });
  assert.equal(scripts(page).length, 4);
  assert.ok(!page.includes('<script>alert'));
  assert.doesNotThrow(() => chartData(page, 'rps'));
});
