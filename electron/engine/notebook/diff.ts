// A structural diff of two notebooks: cells are matched by id (so a moved cell is a move, not a
// removal and an addition), fields are compared deeply and reported by JSON path.
import type { Notebook } from '../common/notebook/schema';
import { jsonPath } from './validate';

export interface Change {
  kind: 'added' | 'removed' | 'changed' | 'moved';
  path: string;
  before?: unknown;
  after?: unknown;
}

function deepDiff(a: unknown, b: unknown, path: PropertyKey[], out: Change[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects || Array.isArray(a)) {
    // Arrays inside a cell (sweep lists, backends) are small: report them whole.
    out.push({ kind: 'changed', path: jsonPath(path), before: a, after: b });
    return;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k of Object.keys(ao)) {
    if (!(k in bo)) out.push({ kind: 'removed', path: jsonPath([...path, k]), before: ao[k] });
    else deepDiff(ao[k], bo[k], [...path, k], out);
  }
  for (const k of Object.keys(bo)) {
    if (!(k in ao)) out.push({ kind: 'added', path: jsonPath([...path, k]), after: bo[k] });
  }
}

export function diffNotebooks(a: Notebook, b: Notebook): Change[] {
  const out: Change[] = [];
  if (a.title !== b.title) out.push({ kind: 'changed', path: 'title', before: a.title, after: b.title });
  const aIds = a.cells.map((c) => c.id);
  const bIds = b.cells.map((c) => c.id);
  a.cells.forEach((cell, i) => {
    const j = bIds.indexOf(cell.id);
    if (j < 0) {
      out.push({ kind: 'removed', path: `cells[${i}]`, before: cell });
      return;
    }
    const other = b.cells[j];
    const keptBefore = aIds.filter((id) => bIds.includes(id));
    const keptAfter = bIds.filter((id) => aIds.includes(id));
    if (keptBefore.indexOf(cell.id) !== keptAfter.indexOf(cell.id)) {
      out.push({ kind: 'moved', path: `cells[${i}]`, before: i, after: j });
    }
    deepDiff(cell, other, ['cells', j], out);
  });
  b.cells.forEach((cell, j) => {
    if (!aIds.includes(cell.id)) out.push({ kind: 'added', path: `cells[${j}]`, after: cell });
  });
  return out;
}

export function formatChanges(changes: readonly Change[]): string {
  if (changes.length === 0) return 'no changes\n';
  const show = (v: unknown) => {
    const s = JSON.stringify(v);
    return s.length > 100 ? `${s.slice(0, 100)}…` : s;
  };
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'added':
          return `+ ${c.path}: ${show(c.after)}`;
        case 'removed':
          return `- ${c.path}: ${show(c.before)}`;
        case 'moved':
          return `~ ${c.path}: moved from position ${String(c.before)} to ${String(c.after)}`;
        default:
          return `~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
      }
    })
    .join('\n')
    .concat('\n');
}
