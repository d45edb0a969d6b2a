// Pure helpers over a notebook draft: immutable updates by path, new cells, auto messages.
import type { Cell, Notebook } from '../../../electron/engine/common/notebook/schema';
import type { Segment } from '../validation/paths';

export type Draft = Notebook;

/** A copy of `root` with the value at `path` replaced (undefined removes an object key). */
export function setIn<T>(root: T, path: readonly Segment[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [Segment, ...Segment[]];
  if (Array.isArray(root)) {
    const copy = root.slice();
    copy[head as number] = setIn(copy[head as number], rest, value);
    return copy as T;
  }
  const obj = (root && typeof root === 'object' ? { ...(root as Record<string, unknown>) } : {}) as Record<string, unknown>;
  const next = setIn(obj[head as string], rest, value);
  if (next === undefined) delete obj[head as string];
  else obj[head as string] = next;
  return obj as T;
}

export function getIn(root: unknown, path: readonly Segment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function uniqueCellId(draft: Draft, base: string): string {
  const ids = new Set(draft.cells.map((c) => c.id));
  if (!ids.has(base)) return base;
  for (let i = 2; ; i++) if (!ids.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function newCell(draft: Draft, type: Cell['type']): Cell {
  switch (type) {
    case 'markdown':
      return { id: uniqueCellId(draft, 'notes'), type, source: '' };
    case 'experiment':
      return {
        id: uniqueCellId(draft, 'experiment'),
        type,
        title: 'nginx, 1 KiB, keep-alive',
        server: { kind: 'nginx', workers: 1, extra_config: '' },
        protocol: { kind: 'http', file_size: 1024, keep_alive: true },
        backends: ['baseline'],
        driver: { kind: 'saio-load', threads: 1, arrivals: 'poisson', depth: 4, pipeline: 1, timeout_s: 2 },
        sweep: { connections: [10, 50, 100] },
        duration_s: 5,
        warmup_s: 1,
        repeats: 2,
        pinning: {},
        quick: { duration_s: 1, warmup_s: 1 },
      };
    case 'plot': {
      const exp = draft.cells.find((c) => c.type === 'experiment');
      return {
        id: uniqueCellId(draft, 'plot'),
        type,
        title: 'Requests per second against connections',
        experiment: exp?.id ?? '',
        x: 'connections',
        y: 'requests_per_s',
        series: 'backend',
      };
    }
  }
}

/** A revision message when the user gave none: which cells changed, were added or removed. */
export function autoMessage(saved: Draft | null, draft: Draft): string {
  if (!saved) return 'Save notebook';
  const before = new Map(saved.cells.map((c) => [c.id, JSON.stringify(c)]));
  const after = new Map(draft.cells.map((c) => [c.id, JSON.stringify(c)]));
  const parts: string[] = [];
  if (saved.title !== draft.title) parts.push('title');
  const edited = draft.cells.filter((c) => before.has(c.id) && before.get(c.id) !== after.get(c.id)).map((c) => c.id);
  const added = draft.cells.filter((c) => !before.has(c.id)).map((c) => c.id);
  const removed = saved.cells.filter((c) => !after.has(c.id)).map((c) => c.id);
  if (edited.length) parts.push(`edit ${edited.join(', ')}`);
  if (added.length) parts.push(`add ${added.join(', ')}`);
  if (removed.length) parts.push(`remove ${removed.join(', ')}`);
  const order = (nb: Draft) =>
    nb.cells
      .map((c) => c.id)
      .filter((id) => before.has(id) && after.has(id))
      .join();
  if (parts.length === 0 && order(saved) !== order(draft)) parts.push('reorder cells');
  const text = parts.join('; ') || 'Save notebook';
  return text.charAt(0).toUpperCase() + text.slice(1);
}
