// The report's statistics: the comparison table that opens the page (every backend against the
// cell's reference, ratio with its 95% CI, p-value, verdict; `~` uncoloured), the A/A noise flag,
// the per-configuration summaries with the interval of each median, and the gate's result.
import { runAccel, withAccel, type Accel } from '../common/accel';
import { formatMetric, METRICS, STAT_METRICS, type StatMetric } from '../common/metrics';
import { fmtP } from '../common/stats/compare';
import { formatSummary } from '../common/stats/gate-report';
import { escapeHtml as esc } from '../common/format';
import { htmlTable } from './html-table';
import type { ConfigComparison, ConfigSummary } from '../common/statistics';
import type { ReplayResults } from '../common/results';

/** A metric's label without its unit: the table's numbers carry theirs. */
const metricLabel = (m: StatMetric) => METRICS[m].label.replace(/ \(.*\)$/, '');
// The headline metrics first, then the others in their defined order.
const HEADLINE: StatMetric[] = ['requests_per_s', 'requests_per_cpu_s', 'latency_p99_us'];
const METRIC_ORDER: StatMetric[] = [...HEADLINE, ...STAT_METRICS.filter((m) => !HEADLINE.includes(m))];

const ratio = (r: number) => `×${r.toFixed(3)}`;

function verdictCell(c: ConfigComparison): string {
  // faster/slower in colour; `~` (no difference the data can show) never is.
  const cls = c.verdict === 'faster' ? ' class="verdict-faster"' : c.verdict === 'slower' ? ' class="verdict-slower"' : ' class="verdict-none"';
  const word = c.verdict === '~' ? '~' : c.metric.startsWith('latency') ? (c.verdict === 'faster' ? 'lower (better)' : 'higher (worse)') : c.verdict;
  return `<span${cls} title="${esc(c.reason)}">${esc(word)}</span>${c.aa ? ' <span class="muted">(A/A)</span>' : ''}${c.noise ? ` <span class="noisy">${esc(c.noise)}</span>` : ''}`;
}

export function comparisonSection(results: ReplayResults): string {
  const parts = ['<section class="cell comparisons" id="comparisons">', '<h2>Comparisons</h2>'];
  const sorted = [...results.comparisons].sort((a, b) => (a.cell_id < b.cell_id ? -1 : a.cell_id > b.cell_id ? 1 : 0) || METRIC_ORDER.indexOf(a.metric) - METRIC_ORDER.indexOf(b.metric));
  const cells = new Set(results.runs.map((r) => r.run.cell_id));
  // A guest's numbers say its accelerator here too (common/accel.ts).
  const accelOf = new Map(results.runs.map((r) => [r.run.cell_id, runAccel(r.hosts)]));
  const cols = [
    { label: 'cell' },
    { label: 'configuration' },
    { label: 'backend' },
    { label: 'against' },
    { label: 'metric' },
    { label: 'ratio', num: true },
    { label: '95% CI', num: true },
    { label: 'p', num: true },
    { label: 'verdict', wide: true },
  ];
  const rows = sorted.map((c) => ({
    className: c.noise ? 'noisy-row' : undefined,
    cells: [
      `<a href="#cell-${esc(c.cell_id)}"><code>${esc(c.cell_id)}</code></a>`,
      `<code>${esc(c.config)}</code>`,
      `<code>${esc(withAccel(c.backend, accelOf.get(c.cell_id) ?? null))}</code>`,
      `<code>${esc(withAccel(c.reference, accelOf.get(c.cell_id) ?? null))}</code>`,
      esc(metricLabel(c.metric)),
      esc(ratio(c.ratio)),
      esc(`${ratio(c.ci_low)} – ${ratio(c.ci_high)}`),
      esc(fmtP(c.p_value)),
      verdictCell(c),
    ],
  }));
  parts.push(
    htmlTable(
      cols,
      rows.length > 0
        ? rows
        : [
            [
              `<span class="muted">no comparison: ${cells.size === 0 ? 'nothing ran' : 'every cell ran a single backend, or no configuration has a repeat of both'}</span>`,
              '',
              '',
              '',
              '',
              '',
              '',
              '',
              '',
            ],
          ],
      "Every backend against its cell's reference backend, per configuration: ratio of medians (candidate / reference) with its 95% bootstrap interval (repeats paired: backends alternate in each round), p from the Wilcoxon signed-rank test on the paired ratios; faster/slower only when p < 0.05 and the interval excludes 1, else ~",
    ),
  );
  for (const n of results.noise) {
    const cls = n.noisy ? 'noisy' : 'muted';
    parts.push(`<p class="${cls}"><code>${esc(n.cell_id)}</code>: ${esc(n.message)}</p>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The per-configuration statistics of one run: n, median with its 95% CI, CV, range, merged percentiles, the repeat policy's outcome. */
export function statisticsTable(summaries: readonly ConfigSummary[], accel: Accel | null = null): string {
  if (summaries.length === 0) return '';
  const sorted = [...summaries].sort((a, b) => METRIC_ORDER.indexOf(a.metric) - METRIC_ORDER.indexOf(b.metric));
  const cols = [
    { label: 'metric' },
    { label: 'backend' },
    { label: 'configuration' },
    { label: 'n', num: true },
    { label: 'median', num: true },
    { label: '95% CI of the median', num: true },
    { label: 'CV', num: true },
    { label: 'min – max', num: true },
    { label: 'all repeats merged', num: true },
    { label: 'repeats', wide: true },
  ];
  const rows = sorted.map((s) => [
    esc(metricLabel(s.metric)),
    `<code>${esc(withAccel(s.backend, accel))}</code>`,
    `<code>${esc(s.config)}</code>`,
    esc(String(s.n)),
    esc(formatMetric(s.metric, s.median)),
    s.ci_low === null ? `<span class="muted" title="${esc(s.ci_note ?? '')}">none (n &lt; 6)</span>` : esc(`${formatMetric(s.metric, s.ci_low)} – ${formatMetric(s.metric, s.ci_high)}`),
    esc(s.cv === null ? '—' : `${(s.cv * 100).toFixed(1)}%`),
    esc(s.min === null ? '—' : `${formatMetric(s.metric, s.min)} – ${formatMetric(s.metric, s.max)}`),
    esc(s.merged === null ? '—' : formatMetric(s.metric, s.merged)),
    esc(s.repeats?.message ?? ''),
  ]);
  return htmlTable(
    cols,
    rows,
    "Statistics per configuration: the median of the repeats with its distribution-free 95% interval (order statistics; none below 6 repeats), coefficient of variation, range, and for latencies the percentile of all repeats' histograms merged",
  );
}

export function gateSection(results: ReplayResults): string {
  if (results.gates.length === 0) return '';
  const parts = ['<section class="cell gate" id="gate">', '<h2>Gate</h2>'];
  for (const g of results.gates) {
    const r = g.result;
    parts.push(`<p class="${r.passed ? 'ok' : 'bad'}"><code>${esc(g.cell_id)}</code>: ${esc(r.message)}</p>`);
    if (r.cases.length === 0) continue;
    const order = { fail: 0, pass: 1, skipped: 2 } as const;
    const rows = [...r.cases]
      .sort((a, b) => order[a.status] - order[b.status])
      .map((c) => ({
        className: c.status === 'fail' ? 'status-failed' : undefined,
        cells: [
          `<code>${esc(c.config)}</code>`,
          esc(c.metric),
          esc(formatSummary(c.previous)),
          esc(formatSummary(c.current)),
          esc(c.comparison ? `${ratio(c.comparison.ratio)} [${ratio(c.comparison.ci_low)}, ${ratio(c.comparison.ci_high)}]` : '—'),
          esc(c.comparison ? fmtP(c.comparison.p_value) : '—'),
          esc(`${c.status}: ${c.message}`),
        ],
      }));
    parts.push(
      htmlTable(
        [
          { label: 'configuration' },
          { label: 'metric' },
          { label: 'previous', num: true },
          { label: 'current', num: true },
          { label: 'ratio [95% CI]', num: true },
          { label: 'p', num: true },
          { label: 'result', wide: true },
        ],
        rows,
        `Against ${esc(r.previous_label ?? 'nothing')}: a failure needs p < ${r.alpha} (Mann-Whitney U) and worse by more than ${(r.threshold * 100).toFixed(0)}%`,
      ),
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}
