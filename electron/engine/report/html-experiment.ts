// The section of the report for one experiment cell: what it was set to, how its run ended,
// every point (each repeat its own row) and the per-configuration summary.
import { accelNote, runAccel, withAccel, type Accel } from '../common/accel';
import { LATENCY_COLUMNS, METRICS, TAIL_METRICS } from '../common/metrics';
import { isMeasured } from '../common/points';
import type { PointRecord } from '../model';
import type { ExperimentCell } from '../common/notebook/schema';
import { protocolText } from '../common/protocols/catalog';
import { driverText, kmodText, repeatsText, sweepText } from './describe';
import { escapeHtml as esc, formatBytes, formatCount, formatCpuList, formatLatencyUs, formatRate, formatSeconds } from '../common/format';
import { type Column, htmlTable, keyValueTable } from './html-table';
import { summarizePoints } from '../common/summary';

export { kmodText } from './describe';
import type { RunResults } from '../common/results';
import type { ConfigSummary } from '../common/statistics';
import { statisticsTable } from './html-statistics';

function settingsTable(cell: ExperimentCell, quick: boolean): string {
  const s = cell.server;
  const full = `${formatSeconds(cell.duration_s)} measured after ${formatSeconds(cell.warmup_s)} warm-up`;
  const q = cell.quick;
  const quickText = q ? `${formatSeconds(q.duration_s)} measured after ${formatSeconds(q.warmup_s)} warm-up${q.repeats !== undefined ? `, ${repeatsText(q.repeats)}` : ''}` : null;
  // Say which durations this replay used: --quick swaps them when the cell has quick ones.
  const durations =
    quick && quickText ? `${esc(quickText)} <span class="muted">(quick; full: ${esc(full)})</span>` : esc(full) + (quickText ? ` <span class="muted">(quick: ${esc(quickText)})</span>` : '');
  const pin = (cpus: number[] | undefined) => (cpus ? `CPUs ${esc(formatCpuList(cpus))}` : 'not pinned');
  const rows: [string, string][] = [
    ['Server', `${esc(s.kind)}, workers ${esc(cell.sweep.workers ? `swept: ${cell.sweep.workers.join(', ')}` : String(s.workers))}`],
    ['Protocol', esc(protocolText(cell.protocol, formatBytes))],
    ['Backends', cell.backends.map((b) => `<code>${esc(b)}</code>`).join(', ')],
    ['Driver', esc(driverText(cell))],
    ['Sweep', esc(sweepText(cell))],
    ['Repeats', esc(repeatsText(cell.repeats))],
    ['Durations', durations],
    ['Pinning', `server ${pin(cell.pinning.server)}; driver ${pin(cell.pinning.driver)}`],
  ];
  if (cell.backends.includes('saio-kmod') || cell.kmod) rows.push(['saio-kmod', esc(kmodText(cell))]);
  if (s.extra_config.trim()) rows.push(['Extra config', `<pre><code>${esc(s.extra_config)}</code></pre>`]);
  return keyValueTable(rows);
}

/** Why a point is not verified, from its reason or else from what its checks found. */
export function verificationNote(p: PointRecord): string {
  if (p.reason) return p.reason;
  const v = p.verification;
  if (!v) return 'not verified';
  const found: string[] = [];
  if (v.after && !v.after.ok) found.push(`${v.after.check}: found ${v.after.found ?? 'no answer'}`);
  if (v.responses_checked === 0) found.push('no responses checked');
  if (v.responses_mismatched) found.push(`${v.responses_mismatched} of ${v.responses_checked} responses wrong`);
  if (v.bad_responses) found.push(`${v.bad_responses} ${v.protocol === 'http' ? 'non-2xx responses' : 'error replies'}`);
  if (v.socket_errors) found.push(`${v.socket_errors} socket errors`);
  return found.length ? found.join('; ') : 'not verified';
}

function verifiedCell(p: PointRecord): string {
  if (p.verified) {
    const v = p.verification;
    const title = v ? `${formatCount(v.responses_checked)} responses checked${v.after ? `; ${v.after.check}: as expected` : ''}` : 'verified';
    return `<span class="ok" title="${esc(title)}">✓ ${esc(v ? formatCount(v.responses_checked) : '')}</span>`;
  }
  return `<span class="bad">✗</span> <span class="reason">${esc(verificationNote(p))}</span>`;
}

function warningsCell(p: PointRecord): string {
  return p.warnings.length === 0 ? '' : `<span class="warn" title="${esc(p.warnings.join('\n'))}">⚠ ${esc(p.warnings.join('; '))}</span>`;
}

function rateCell(p: PointRecord): string {
  if (p.kind === 'probe') return 'capacity probe';
  if (p.rate_per_s === null) return p.rate_of_capacity === null ? 'closed' : `${p.rate_of_capacity}× cap`;
  return p.rate_of_capacity === null ? formatRate(p.rate_per_s) : `${formatRate(p.rate_per_s)} (${p.rate_of_capacity}× cap)`;
}

function pointsTable(points: readonly PointRecord[], accel: Accel | null): string {
  // Workers and rate columns only when they vary (or when a rate was swept); otherwise the
  // settings above already say them, and the table keeps room for failure reasons.
  const showWorkers = new Set(points.map((p) => p.workers)).size > 1;
  const showRate = points.some((p) => p.rate_per_s !== null || p.rate_of_capacity !== null || p.kind === 'probe');
  const showWarnings = points.some((p) => p.warnings.length > 0);
  const all: [Column, (p: PointRecord) => string][] = [
    [{ label: '#', num: true }, (p) => esc(String(p.seq))],
    [{ label: 'backend' }, (p) => `<code>${esc(withAccel(p.backend, accel))}</code>`],
    [{ label: 'workers', num: true }, (p) => esc(String(p.workers))],
    [{ label: 'connections', num: true }, (p) => esc(formatCount(p.connections))],
    [{ label: 'rate asked', num: true }, (p) => esc(rateCell(p))],
    [{ label: 'repeat', num: true }, (p) => esc(p.kind === 'probe' ? '' : String(p.repeat))],
    [{ label: 'status' }, (p) => esc(p.status)],
    [{ label: 'offered/s', num: true }, (p) => esc(formatRate(p.offered_per_s))],
    [{ label: 'requests/s', num: true }, (p) => esc(formatRate(p.requests_per_s))],
    ...LATENCY_COLUMNS.map((m): [Column, (p: PointRecord) => string] => [{ label: METRICS[m].short, num: true }, (p) => esc(formatLatencyUs(p[m]))]),
    [{ label: 'errors', num: true }, (p) => esc(formatCount(p.errors))],
    [{ label: 'server CPU s', num: true }, (p) => esc(p.cpu ? p.cpu.server_s.toFixed(2) : '—')],
    [{ label: 'req/CPU-s', num: true }, (p) => esc(formatRate(p.requests_per_cpu_s))],
    [{ label: 'verified (responses checked)', wide: true }, verifiedCell],
    [{ label: 'warnings', wide: true }, warningsCell],
  ];
  const hidden = new Set([...(showWorkers ? [] : ['workers']), ...(showRate ? [] : ['rate asked', 'offered/s']), ...(showWarnings ? [] : ['warnings'])]);
  const columns = all.filter(([c]) => !hidden.has(c.label));
  const rows = points.map((p) => ({ className: `status-${p.status}${p.warnings.length > 0 ? ' warned' : ''}${p.kind === 'probe' ? ' probe' : ''}`, cells: columns.map(([, cell]) => cell(p)) }));
  return htmlTable(
    columns.map(([c]) => c),
    rows,
    'Points (one row per point and repeat; capacity probes first when a rate is a fraction of capacity)',
  );
}

function summaryTable(points: readonly PointRecord[], accel: Accel | null): string {
  const cols = [
    { label: 'backend' },
    { label: 'configuration' },
    { label: 'n', num: true },
    { label: 'not ok', num: true },
    { label: 'requests/s median', num: true },
    { label: 'min', num: true },
    { label: 'max', num: true },
    { label: 'offered/s median', num: true },
    ...TAIL_METRICS.map((m) => ({ label: `${METRICS[m].short} median`, num: true })),
    { label: 'warned', num: true },
  ];
  const rows = summarizePoints(points).map((r) => [
    `<code>${esc(withAccel(r.backend, accel))}</code>`,
    `<code>${esc(r.config)}</code>${r.rate_of_capacity !== null && r.rate_per_s !== null ? ` <span class="muted">(${esc(formatRate(r.rate_per_s))}/s)</span>` : ''}`,
    esc(String(r.n)),
    esc(String(r.not_ok)),
    esc(formatRate(r.requests_per_s_median)),
    esc(formatRate(r.requests_per_s_min)),
    esc(formatRate(r.requests_per_s_max)),
    esc(formatRate(r.offered_per_s_median)),
    ...TAIL_METRICS.map((m) => esc(formatLatencyUs(r[`${m}_median`]))),
    esc(r.warned ? `⚠ ${r.warned}` : '0'),
  ]);
  return htmlTable(cols, rows, 'Summary per configuration (ok points only; n = repeats measured)');
}

function runStatus(r: RunResults): string {
  const run = r.run;
  const accel = runAccel(r.hosts);
  const note = accelNote(accel);
  const ended = run.ended_at ? ` – ${esc(run.ended_at)}` : '';
  const reason = run.reason ? `<br><span class="reason">${esc(run.reason)}</span>` : '';
  return (
    `<p class="run-status status-${esc(run.status)}">Run <code>${esc(run.id)}</code>: ` +
    `<strong>${esc(run.status)}</strong>, ${r.points.length} of ${run.points_planned} points, ` +
    `${esc(run.started_at)}${ended}${reason}</p>` +
    (note ? `\n<p class="run-status accel-${esc(accel ?? '')}"><strong>accel ${esc(accel ?? '')}</strong>: ${esc(note)}</p>` : '')
  );
}

export function experimentSection(cell: ExperimentCell, run: RunResults | null, quick: boolean, summaries: readonly ConfigSummary[] = []): string {
  const title = cell.title ? esc(cell.title) : `Experiment <code>${esc(cell.id)}</code>`;
  const body = run
    ? `${runStatus(run)}\n${statisticsTable(
        summaries.filter((s) => s.run_id === run.run.id),
        runAccel(run.hosts),
      )}\n${pointsTable(run.points, runAccel(run.hosts))}\n${summaryTable(run.points.filter(isMeasured), runAccel(run.hosts))}`
    : '<p class="run-status muted">Not run in this replay.</p>';
  return `<section class="cell experiment" id="cell-${esc(cell.id)}">\n<h2>${title}</h2>\n` + `${settingsTable(cell, quick)}\n${body}\n</section>`;
}
