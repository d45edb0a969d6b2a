// A cell's settings in words, one line each: what the report's settings table, the CLI's `show`
// and the UI say about a cell. Pure.
import type { ExperimentCell, RepeatsSetting } from '../common/notebook/schema';
import { formatRate, formatSeconds } from '../common/format';

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
      k.cpus === undefined
        ? 'not pinned'
        : typeof k.cpus === 'string'
          ? `each next to its submitter${offset ? `, offset ${offset}` : ''}`
          : `worker i on CPU ${k.cpus.join(', ')} [i mod ${k.cpus.length}]`,
    );
    if (k.idle_us !== undefined) parts.push(`spin ${k.idle_us} µs before sleeping`);
  }
  const params = Object.entries(k.module_params).map(([n, v]) => `${n}=${v}`);
  parts.push(params.length > 0 ? `insmod saio.ko ${params.join(' ')}` : 'saio.ko with its default parameters');
  return parts.join('; ');
}

/** The driver's settings in one line. */
export function driverText(cell: ExperimentCell): string {
  const d = cell.driver;
  const threads = `${d.threads} thread${d.threads === 1 ? '' : 's'}`;
  if (d.kind === 'wrk') return `wrk, ${threads}, timeout ${formatSeconds(d.timeout_s)}, bodies checked: ${d.verify === 'all' ? 'every response' : 'warm-up responses'}`;
  const open = cell.sweep.rate !== undefined ? `, open loop: ${d.arrivals} arrivals, depth ${d.depth} per connection` : '';
  return `saio-load, ${threads}${d.pipeline > 1 ? `, pipeline ${d.pipeline}` : ''}${open}, every response checked`;
}

/** The sweep in one line: every axis, and how rates were given. */
export function sweepText(cell: ExperimentCell): string {
  const workers = cell.sweep.workers ? `workers ${cell.sweep.workers.join(', ')}` : `workers ${cell.server.workers}`;
  const r = cell.sweep.rate;
  const rate =
    r === undefined
      ? 'closed loop'
      : Array.isArray(r)
        ? `open loop at ${r.map((x) => formatRate(x)).join(', ')} requests/s`
        : `open loop at ${r.of_capacity.join(', ')} × capacity (closed-loop probe of ${formatSeconds(r.probe_s ?? 2)} per backend first)`;
  return `${workers}; connections ${cell.sweep.connections.join(', ')}; ${rate}`;
}

/** "5 repeats", or "3 to 20 repeats until the median's 95% CI is within ±3%". */
export function repeatsText(r: RepeatsSetting): string {
  if (typeof r === 'number') return `${r} repeat${r === 1 ? '' : 's'}`;
  if (r.target_ci === null || r.target_ci === undefined) return `${r.max} repeat${r.max === 1 ? '' : 's'}`;
  return `${r.min} to ${r.max} repeats until the median's 95% CI is within ±${Number((r.target_ci * 100).toFixed(2))}%`;
}
