// Per-run appendices: the machine each run measured, and where its threads ran.
import type { EnvironmentSnapshot, PlacementSample } from '../model';
import { escapeHtml as esc, formatBytes, formatCount, formatCpuList } from '../common/format';
import { htmlTable, keyValueTable } from './html-table';
import type { RunResults } from '../common/results';

function runHeading(r: RunResults): string {
  return `<h3>Cell <code>${esc(r.run.cell_id)}</code>, run <code>${esc(r.run.id)}</code></h3>`;
}

function environmentTable(env: EnvironmentSnapshot): string {
  const git = env.git_commit === null ? 'unknown' : `<code>${esc(env.git_commit)}</code>${env.git_dirty ? ' <span class="bad">(dirty)</span>' : env.git_dirty === false ? ' (clean)' : ''}`;
  const rows: [string, string][] = [
    ['Kernel', esc(env.kernel)],
    ['Kernel command line', `<code>${esc(env.kernel_cmdline)}</code>`],
    ['OS', esc(env.os)],
    ['CPU model', esc(env.cpu_model)],
    ['CPUs', esc(String(env.cpus))],
    ['Memory', esc(formatBytes(env.memory_bytes))],
    ['Server', esc(`${env.server} ${env.server_version}`)],
    ['Driver', esc(`${env.driver} ${env.driver_version}`)],
    ['Node', esc(env.node)],
    ['Git commit', git],
    ['Captured at', esc(env.captured_at)],
  ];
  for (const [k, v] of Object.entries(env.extra).sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([esc(k), esc(v)]);
  }
  return keyValueTable(rows);
}

export function environmentSection(runs: readonly RunResults[]): string {
  const parts = runs.map((r) => `${runHeading(r)}\n${r.environment ? environmentTable(r.environment) : '<p class="muted">Not captured.</p>'}`);
  return `<section class="appendix" id="environment">\n<h2>Environment</h2>\n${parts.join('\n') || '<p class="muted">No runs.</p>'}\n</section>`;
}

export interface ThreadPlacement {
  role: PlacementSample['role'];
  pid: number;
  tid: number;
  comm: string;
  samples: number;
  cpus: number[];
  allowed: string[];
  voluntary_delta: number;
  nonvoluntary_delta: number;
  cpu_ticks_delta: number;
}

/** One row per (role, pid, tid, comm): how often it was sampled, which CPUs it ran on, deltas. */
export function summarizePlacement(samples: readonly PlacementSample[]): ThreadPlacement[] {
  const groups = new Map<string, PlacementSample[]>();
  for (const s of samples) {
    const key = JSON.stringify([s.role, s.pid, s.tid, s.comm]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const roleOrder: PlacementSample['role'][] = ['server', 'kernel-worker', 'driver'];
  return [...groups.values()]
    .map((group) => {
      // Counters are cumulative per thread: the change from first to last sample is what happened.
      const sorted = [...group].sort((a, b) => a.t_ms - b.t_ms);
      const first = sorted[0]!;
      const last = sorted[sorted.length - 1]!;
      return {
        role: first.role,
        pid: first.pid,
        tid: first.tid,
        comm: first.comm,
        samples: sorted.length,
        cpus: [...new Set(sorted.map((s) => s.cpu))].sort((a, b) => a - b),
        allowed: [...new Set(sorted.map((s) => s.allowed_cpus))],
        voluntary_delta: last.voluntary_ctxt - first.voluntary_ctxt,
        nonvoluntary_delta: last.nonvoluntary_ctxt - first.nonvoluntary_ctxt,
        cpu_ticks_delta: last.utime_ticks + last.stime_ticks - (first.utime_ticks + first.stime_ticks),
      };
    })
    .sort((a, b) => roleOrder.indexOf(a.role) - roleOrder.indexOf(b.role) || a.pid - b.pid || a.tid - b.tid);
}

function placementTable(samples: readonly PlacementSample[]): string {
  const cols = [
    { label: 'role' },
    { label: 'pid', num: true },
    { label: 'tid', num: true },
    { label: 'comm' },
    { label: 'samples', num: true },
    { label: 'CPUs seen' },
    { label: 'allowed CPUs' },
    { label: 'voluntary ctxt Δ', num: true },
    { label: 'involuntary ctxt Δ', num: true },
    { label: 'CPU ticks Δ', num: true },
  ];
  const rows = summarizePlacement(samples).map((t) => [
    esc(t.role),
    esc(String(t.pid)),
    esc(String(t.tid)),
    `<code>${esc(t.comm)}</code>`,
    esc(formatCount(t.samples)),
    esc(formatCpuList(t.cpus)),
    esc(t.allowed.join(' | ')),
    esc(formatCount(t.voluntary_delta)),
    esc(formatCount(t.nonvoluntary_delta)),
    esc(formatCount(t.cpu_ticks_delta)),
  ]);
  return htmlTable(cols, rows);
}

export function placementSection(runs: readonly RunResults[]): string {
  const parts = runs.map((r) => `${runHeading(r)}\n${r.placement.length ? placementTable(r.placement) : '<p class="muted">No placement samples.</p>'}`);
  return (
    `<section class="appendix" id="placement">\n<h2>Thread placement</h2>\n` +
    `<p class="muted">Sampled from /proc during each run; one row per thread.</p>\n` +
    `${parts.join('\n') || '<p class="muted">No runs.</p>'}\n</section>`
  );
}
