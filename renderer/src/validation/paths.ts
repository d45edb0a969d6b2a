// Engine errors name JSON paths (`cells[1].sweep.connections[0]`); form fields know their own
// path. These helpers decide which errors a field shows, so every error lands next to a field or,
// failing that, at the top of its cell: none is dropped.
import type { NotebookError } from '../../../electron/engine/common/notebook/explain';

export type { NotebookError };
export { jsonPath } from '../../../electron/engine/common/notebook/explain';
export type Segment = string | number;

export function parsePath(path: string): Segment[] {
  if (path === '$' || path === '') return [];
  const out: Segment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[1]!);
  }
  return out;
}

/** True when `path` is `base` or lies inside it (`cells[1]` contains `cells[1].sweep`, not `cells[10]`). */
export function isWithin(path: string, base: string): boolean {
  if (base === '$') return true;
  if (path === base) return true;
  return path.startsWith(base) && (path[base.length] === '.' || path[base.length] === '[');
}

/** Errors exactly at a path. */
export function errorsAt(errors: readonly NotebookError[], path: string): NotebookError[] {
  return errors.filter((e) => e.path === path);
}

/** Errors at a path or anywhere inside it. */
export function errorsWithin(errors: readonly NotebookError[], path: string): NotebookError[] {
  return errors.filter((e) => isWithin(e.path, path));
}

/**
 * Messages for a list field: errors on the list itself plus per-item errors, each item named by
 * its position (1-based, as people count) and value.
 */
export function listFieldMessages(errors: readonly NotebookError[], path: string, items?: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const e of errorsWithin(errors, path)) {
    if (e.path === path) {
      out.push(e.message);
      continue;
    }
    const rest = parsePath(e.path.slice(path.length));
    const idx = rest[0];
    if (typeof idx === 'number') {
      const value = items?.[idx];
      const shown = value === undefined ? '' : ` (${typeof value === 'string' ? JSON.stringify(value) : String(value)})`;
      out.push(`item ${idx + 1}${shown}: ${e.message}`);
    } else out.push(`${e.path}: ${e.message}`);
  }
  return out;
}

/**
 * The errors inside `base` that no field claims. `claimed` lists the paths the form shows;
 * a field claims its own path and everything below it.
 */
export function unclaimedErrors(errors: readonly NotebookError[], base: string, claimed: readonly string[]): NotebookError[] {
  return errorsWithin(errors, base).filter((e) => !claimed.some((c) => isWithin(e.path, c)));
}

/** The cell index an error belongs to, or null for document-level errors. */
export function cellIndexOf(path: string): number | null {
  const segs = parsePath(path);
  return segs[0] === 'cells' && typeof segs[1] === 'number' ? segs[1] : null;
}
