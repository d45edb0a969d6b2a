// The section of the report for one experiment cell: what it was set to, how its run ended,
// every point (each repeat its own row) and the per-configuration summary.
import type { PointRecord } from '../model';
import type { ExperimentCell } from '../notebook/schema';
import {
  escapeHtml as esc,
  formatBytes,
  formatCount,
  formatCpuList,
  formatLatencyUs,
  formatRate,
  formatSeconds,
} from './format';
import { type Column, htmlTable, keyValueTable } from './html-table';
import { summarizePoints } from './summary';
import type { RunResults } from './types';

/** The saio-kmod settings in one line: mode, kernel workers and their placement, insmod parameters. */
export function kmodText(cell: ExperimentCell): string {
  const k = cell.kmod;
  if (!k) return 'enter mode; saio.ko with its default parameters';
  const parts = [`${k.mode} mode`];
  if (k.rings !== undefined) parts.push(`${k.rings} ring${k.rings === 1 ? '' : 's'}`);
  if (k.mode === 'worker') {
    parts.push(`${k.workers} kernel worker${k.workers === 1 ? '' : 's'}`);
    const offset = typeof k.cpus === 'string' ? k.cpus.slice('local'.length) : '';
    parts.push(
      k.cpus === undefined ? 'not pinned' : typeof k.cpus === 'string' ? `each next to its submitter${offset ? `, offset ${offset}` : ''}` : `worker i on CPU ${k.cpus.join(', ')} [i mod ${k.cpus.length}]`,
    );
    if (k.idle_us !== undefined) parts.push(`spin ${k.idle_us} µs before sleeping`);
  }
  const params = Object.entries(k.module_params).map(([n, v]) => `${n}=${v}`);
  parts.push(params.length > 0 ? `insmod saio.ko ${params.join(' ')}` : 'saio.ko with its default parameters');
  return parts.join('; ');
}

function settingsTable(cell: ExperimentCell, quick: boolean): string {
  const s = cell.server;
  const d = cell.driver;
  const workers = cell.sweep.workers ? `swept: ${cell.sweep.workers.join(', ')}` : `${s.workers}`;
  const full = `${formatSeconds(cell.duration_s)} measured after ${formatSeconds(cell.warmup_s)} warm-up`;
  const q = cell.quick;
  const quickText = q ? `${formatSeconds(q.duration_s)} measured after ${formatSeconds(q.warmup_s)} warm-up` : null;
  // Say which durations this replay used: --quick swaps them when the cell has quick ones.
  const durations =
    quick && quickText
      ? `${esc(quickText)} <span class="muted">(quick; full: ${esc(full)})</span>`
      : esc(full) + (quickText ? ` <span class="muted">(quick: ${esc(quickText)})</span>` : '');
  const pin = (cpus: number[] | undefined) => (cpus ? `CPUs ${esc(formatCpuList(cpus))}` : 'not pinned');
  const rows: [string, string][] = [
    ['Server', `${esc(s.kind)}, workers ${esc(workers)}`],
    ['File size', esc(formatBytes(s.file_size))],
    ['Keep-alive', s.keep_alive ? 'yes' : 'no'],
    ['Backends', cell.backends.map((b) => `<code>${esc(b)}</code>`).join(', ')],
    ['Driver', esc(`${d.kind}, ${d.threads} thread${d.threads === 1 ? '' : 's'}, timeout ${formatSeconds(d.timeout_s)}, verify ${d.verify}`)],
    ['Sweep', esc(`connections ${cell.sweep.connections.join(', ')}; workers ${workers}`)],
    ['Repeats', esc(String(cell.repeats))],
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
  if (v.sha256_fetched === null) found.push('no body fetched after the run');
  else if (v.sha256_fetched !== v.sha256_expected) found.push('fetched body differs from the file (sha256)');
  if (v.bodies_checked === 0) found.push('no bodies checked');
  if (v.bodies_mismatched) found.push(`${v.bodies_mismatched} of ${v.bodies_checked} bodies differ`);
  if (v.non_2xx) found.push(`${v.non_2xx} non-2xx responses`);
  if (v.socket_errors) found.push(`${v.socket_errors} socket errors`);
  return found.length ? found.join('; ') : 'not verified';
}

function verifiedCell(p: PointRecord): string {
  if (p.verified) {
    const v = p.verification;
    const title = v ? `${formatCount(v.bodies_checked)} bodies checked; sha256 of fetched body matches` : 'verified';
    return `<span class="ok" title="${esc(title)}">✓</span>`;
  }
  return `<span class="bad">✗</span> <span class="reason">${esc(verificationNote(p))}</span>`;
}

function pointsTable(points: readonly PointRecord[]): string {
  // A workers column only when workers vary; otherwise the settings above already say it, and
  // the table keeps room for failure reasons.
  const showWorkers = new Set(points.map((p) => p.workers)).size > 1;
  const all: [Column, (p: PointRecord) => string][] = [
    [{ label: '#', num: true }, (p) => esc(String(p.seq))],
    [{ label: 'backend' }, (p) => `<code>${esc(p.backend)}</code>`],
    [{ label: 'workers', num: true }, (p) => esc(String(p.workers))],
    [{ label: 'connections', num: true }, (p) => esc(formatCount(p.connections))],
    [{ label: 'repeat', num: true }, (p) => esc(String(p.repeat))],
    [{ label: 'status' }, (p) => esc(p.status)],
    [{ label: 'requests/s', num: true }, (p) => esc(formatRate(p.requests_per_s))],
    [{ label: 'p50', num: true }, (p) => esc(formatLatencyUs(p.latency_p50_us))],
    [{ label: 'p90', num: true }, (p) => esc(formatLatencyUs(p.latency_p90_us))],
    [{ label: 'p99', num: true }, (p) => esc(formatLatencyUs(p.latency_p99_us))],
    [{ label: 'p99.9', num: true }, (p) => esc(formatLatencyUs(p.latency_p999_us))],
    [{ label: 'max', num: true }, (p) => esc(formatLatencyUs(p.latency_max_us))],
    [{ label: 'errors', num: true }, (p) => esc(formatCount(p.errors))],
    [{ label: 'verified', wide: true }, verifiedCell],
  ];
  const columns = showWorkers ? all : all.filter(([c]) => c.label !== 'workers');
  const rows = points.map((p) => ({ className: `status-${p.status}`, cells: columns.map(([, cell]) => cell(p)) }));
  return htmlTable(columns.map(([c]) => c), rows, 'Points (one row per point and repeat)');
}

function summaryTable(points: readonly PointRecord[]): string {
  const cols = [
    { label: 'backend' },
    { label: 'workers', num: true },
    { label: 'connections', num: true },
    { label: 'n', num: true },
    { label: 'not ok', num: true },
    { label: 'requests/s median', num: true },
    { label: 'min', num: true },
    { label: 'max', num: true },
    { label: 'p99 median', num: true },
  ];
  const rows = summarizePoints(points).map((r) => [
    `<code>${esc(r.backend)}</code>`,
    esc(String(r.workers)),
    esc(formatCount(r.connections)),
    esc(String(r.n)),
    esc(String(r.not_ok)),
    esc(formatRate(r.requests_per_s_median)),
    esc(formatRate(r.requests_per_s_min)),
    esc(formatRate(r.requests_per_s_max)),
    esc(formatLatencyUs(r.latency_p99_us_median)),
  ]);
  return htmlTable(cols, rows, 'Summary per configuration (ok points only; n = repeats measured)');
}

function runStatus(r: RunResults): string {
  const run = r.run;
  const ended = run.ended_at ? ` – ${esc(run.ended_at)}` : '';
  const reason = run.reason ? `<br><span class="reason">${esc(run.reason)}</span>` : '';
  return (
    `<p class="run-status status-${esc(run.status)}">Run <code>${esc(run.id)}</code>: ` +
    `<strong>${esc(run.status)}</strong>, ${r.points.length} of ${run.points_planned} points, ` +
    `${esc(run.started_at)}${ended}${reason}</p>`
  );
}

export function experimentSection(cell: ExperimentCell, run: RunResults | null, quick: boolean): string {
  const title = cell.title ? esc(cell.title) : `Experiment <code>${esc(cell.id)}</code>`;
  const body = run
    ? `${runStatus(run)}\n${pointsTable(run.points)}\n${summaryTable(run.points)}`
    : '<p class="run-status muted">Not run in this replay.</p>';
  return (
    `<section class="cell experiment" id="cell-${esc(cell.id)}">\n<h2>${title}</h2>\n` +
    `${settingsTable(cell, quick)}\n${body}\n</section>`
  );
}
