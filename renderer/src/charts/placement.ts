// Where every thread ran: the placement rows and figure of a run.
import type { PlacementSample } from '../../../electron/engine/model';
import { PALETTE } from '../../../electron/engine/common/chart';
import type { RunResults } from '../../../electron/engine/common/results';
import { layout, type Figure } from './traces';

const ROLE_ORDER: Record<PlacementSample['role'], number> = { server: 0, 'kernel-worker': 1, driver: 2 };

export interface ThreadRow {
  /** The thread's key: its tid, with its host's name when it ran on another host ("srv/1234"). */
  key: string;
  /** The notebook's name of the host it ran on (absent: this machine). */
  host?: string;
  tid: number;
  pid: number;
  comm: string;
  role: PlacementSample['role'];
  label: string;
  samples: number;
  cpus: Map<number, number>;
}

/** Threads of different hosts may share a tid: the host is part of a thread's identity. */
export function threadKey(s: Pick<PlacementSample, 'host' | 'tid'>): string {
  return s.host ? `${s.host}/${s.tid}` : String(s.tid);
}

export function placementRows(samples: readonly PlacementSample[]): ThreadRow[] {
  const rows = new Map<string, ThreadRow>();
  for (const s of samples) {
    const key = threadKey(s);
    let r = rows.get(key);
    if (!r) {
      const tag = s.role === 'kernel-worker' ? '⚙ kernel' : s.role;
      r = {
        key,
        ...(s.host ? { host: s.host } : {}),
        tid: s.tid,
        pid: s.pid,
        comm: s.comm,
        role: s.role,
        label: `${s.host ? `${s.host} · ` : ''}${tag} · ${s.comm} ${s.pid}/${s.tid}`,
        samples: 0,
        cpus: new Map(),
      };
      rows.set(key, r);
    }
    r.samples++;
    r.cpus.set(s.cpu, (r.cpus.get(s.cpu) ?? 0) + 1);
  }
  return [...rows.values()].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.pid - b.pid || a.tid - b.tid);
}

/**
 * Where every thread ran: one row per thread (server, kernel workers, load generator), time
 * across, one marker per sample coloured by the CPU it was last seen on. Kernel worker rows are
 * shaded and drawn with diamonds. Points' start times are dotted verticals.
 */
export function placementFigure(run: RunResults | null | undefined): Figure {
  const samples = run?.placement ?? [];
  const rows = placementRows(samples);
  const order = rows.map((r) => r.label);
  const labelOf = new Map(rows.map((r) => [r.key, r.label]));
  const cpus = [...new Set(samples.map((s) => s.cpu))].sort((a, b) => a - b);
  const pointOf = new Map((run?.points ?? []).map((p) => [p.id, p]));
  const data: Record<string, unknown>[] = [];
  cpus.forEach((cpu, i) => {
    for (const kernel of [false, true]) {
      const ss = samples.filter((s) => s.cpu === cpu && (s.role === 'kernel-worker') === kernel);
      if (ss.length === 0) continue;
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: kernel ? `CPU ${cpu} (kernel worker)` : `CPU ${cpu}`,
        legendgroup: `cpu${cpu}`,
        x: ss.map((s) => s.t_ms / 1000),
        y: ss.map((s) => labelOf.get(threadKey(s))),
        text: ss.map((s) => {
          const p = s.point_id === null ? undefined : pointOf.get(s.point_id);
          const at = p ? `<br>point ${p.seq}: ${p.backend}, ${p.connections} conn, repeat ${p.repeat}` : '';
          return `${s.comm} pid ${s.pid} tid ${s.tid} (${s.role})<br>CPU ${s.cpu} (allowed ${s.allowed_cpus})<br>t = ${(s.t_ms / 1000).toFixed(2)} s${at}`;
        }),
        hovertemplate: '%{text}<extra></extra>',
        marker: {
          color: PALETTE[i % PALETTE.length],
          symbol: kernel ? 'diamond' : 'square',
          size: kernel ? 9 : 7,
          line: kernel ? { color: '#000', width: 1 } : { width: 0 },
        },
      });
    }
  });
  const shapes: Record<string, unknown>[] = [];
  rows.forEach((r, i) => {
    if (r.role === 'kernel-worker') {
      shapes.push({ type: 'rect', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: i - 0.5, y1: i + 0.5, fillcolor: 'rgba(255, 196, 0, 0.18)', line: { width: 0 }, layer: 'below' });
    }
  });
  if (run) {
    const t0 = Date.parse(run.run.started_at);
    for (const p of run.points) {
      const t = (Date.parse(p.started_at) - t0) / 1000;
      if (Number.isFinite(t) && t >= 0) {
        shapes.push({ type: 'line', x0: t, x1: t, xref: 'x', yref: 'paper', y0: 0, y1: 1, line: { color: '#999', width: 1, dash: 'dot' } });
      }
    }
  }
  const l = layout('time since run start (s)', '', {
    height: Math.max(220, rows.length * 20 + 110),
    shapes,
    margin: { l: 12, r: 12, t: 8, b: 40 },
  });
  Object.assign(l.yaxis as object, {
    type: 'category',
    categoryorder: 'array',
    categoryarray: [...order].reverse(),
    title: { text: '' },
    rangemode: 'normal',
    tickfont: { family: 'ui-monospace, SFMono-Regular, Menlo, monospace', size: 10 },
  });
  return { data, layout: l, ...(samples.length === 0 ? { empty: 'no placement samples in this run' } : {}) };
}
