// The gate's outputs for CI: JUnit XML (`--junit FILE`: one testcase per configuration × metric,
// a <failure> carrying the numbers; CI systems draw these as test results) and a Markdown
// summary (`--summary FILE`, e.g. for $GITHUB_STEP_SUMMARY). Both are strings: writing them is
// the caller's business, so this module stays free of Node APIs.
import { fmtP, formatRatio } from './compare';
import type { GateCase, GateResult } from './gate';
import type { Summary } from './summary';

/** Escapes text for XML content and attributes, dropping characters XML 1.0 cannot carry. */
export function xmlEscape(text: string): string {
  return (
    text
      // XML 1.0 has no place for these control characters, not even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** 45,879 for large values, 3 significant digits for small ones. */
export function formatValue(v: number | null): string {
  if (v === null) return '–';
  if (Math.abs(v) >= 1000)
    return Math.round(v)
      .toString()
      .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return String(Number(v.toPrecision(3)));
}

export function formatSummary(s: Summary | null): string {
  if (!s || s.n === 0 || s.median === null) return 'no samples';
  const ci = s.ci_low !== null && s.ci_high !== null ? ` [${formatValue(s.ci_low)}, ${formatValue(s.ci_high)}]` : ' (no CI: n < 6)';
  return `${formatValue(s.median)}${ci} n=${s.n}`;
}

function caseDetails(c: GateCase): string {
  const lines = [
    `configuration: ${c.config}`,
    `metric: ${c.metric} (${c.direction === 'lower' ? 'lower' : 'higher'} is better)`,
    `previous: median ${formatSummary(c.previous)}${c.previous?.n ? `, min ${formatValue(c.previous.min)}, max ${formatValue(c.previous.max)}` : ''}`,
    `current:  median ${formatSummary(c.current)}${c.current?.n ? `, min ${formatValue(c.current.min)}, max ${formatValue(c.current.max)}` : ''}`,
  ];
  if (c.comparison) {
    const k = c.comparison;
    lines.push(`ratio current/previous: ${formatRatio(k.ratio)}, 95% CI ${formatRatio(k.ci_low)}–${formatRatio(k.ci_high)} (${k.ci_method}, ${k.resamples} resamples, seed ${k.seed})`);
    lines.push(`${k.test}: p = ${fmtP(k.p_value)} (α = ${k.alpha})`);
  }
  lines.push(c.message);
  return lines.join('\n');
}

export function gateJUnit(r: GateResult, suiteName = 'saio-lab gate'): string {
  const skipped = r.comparable ? r.cases.filter((c) => c.status === 'skipped').length : 1;
  const tests = r.comparable ? r.cases.length : 1;
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(suiteName)}" tests="${tests}" failures="${r.failures}" errors="0" skipped="${skipped}" time="0">`;
  const suite = `  <testsuite name="${xmlEscape(suiteName)}" tests="${tests}" failures="${r.failures}" errors="0" skipped="${skipped}" time="0">`;
  const props = [
    '    <properties>',
    `      <property name="alpha" value="${r.alpha}"/>`,
    `      <property name="threshold" value="${r.threshold}"/>`,
    ...(r.previous_label ? [`      <property name="previous" value="${xmlEscape(r.previous_label)}"/>`] : []),
    '    </properties>',
  ];
  const body: string[] = [];
  if (!r.comparable) {
    body.push(`    <testcase classname="${xmlEscape(suiteName)}" name="comparable previous run" time="0">`);
    body.push(`      <skipped message="${xmlEscape(r.message)}"/>`);
    body.push('    </testcase>');
  }
  for (const c of r.cases) {
    body.push(`    <testcase classname="${xmlEscape(c.config)}" name="${xmlEscape(c.metric)}" time="0">`);
    const details = xmlEscape(caseDetails(c));
    if (c.status === 'fail') body.push(`      <failure type="regression" message="${xmlEscape(`${c.config} ${c.metric}: ${c.message}`)}">${details}</failure>`);
    else if (c.status === 'skipped') body.push(`      <skipped message="${xmlEscape(c.message)}"/>`);
    body.push(`      <system-out>${details}</system-out>`);
    body.push('    </testcase>');
  }
  return [head, suite, ...props, ...body, '  </testsuite>', '</testsuites>', ''].join('\n');
}

function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const RESULT: Record<GateCase['status'], string> = { fail: '❌ regression', pass: 'pass', skipped: 'skipped' };

export function gateMarkdown(r: GateResult, title = 'saio-lab gate'): string {
  const verdict = r.passed ? 'passed' : 'FAILED';
  const out = [`## ${mdCell(title)}: ${verdict}`, '', mdCell(r.message) + '.', ''];
  out.push(
    `Fails a configuration only when the change is significant (Mann-Whitney U, α = ${r.alpha}) and worse than ${(r.threshold * 100).toFixed(0)}%.` +
      (r.previous_label ? ` Previous run: ${mdCell(r.previous_label)}.` : ''),
    '',
  );
  if (r.cases.length === 0) return out.join('\n');
  out.push('| Configuration | Metric | Previous median [95% CI] n | Current median [95% CI] n | Ratio [95% CI] | p | Result |');
  out.push('|---|---|---:|---:|---:|---:|---|');
  // Failures first, so the reader sees them without scrolling.
  const order = { fail: 0, pass: 1, skipped: 2 } as const;
  const rows = [...r.cases].sort((a, b) => order[a.status] - order[b.status]);
  for (const c of rows) {
    const k = c.comparison;
    out.push(
      `| ${[
        mdCell(c.config),
        mdCell(c.metric),
        formatSummary(c.previous),
        formatSummary(c.current),
        k ? `${formatRatio(k.ratio)} [${formatRatio(k.ci_low)}, ${formatRatio(k.ci_high)}]` : '–',
        k ? fmtP(k.p_value) : '–',
        `${RESULT[c.status]}${c.status === 'pass' ? '' : `: ${mdCell(c.message)}`}`,
      ].join(' | ')} |`,
    );
  }
  out.push('');
  return out.join('\n');
}
