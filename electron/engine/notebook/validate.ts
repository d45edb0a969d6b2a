// Turns notebook text into a typed Notebook, or into errors a person can act on: each names the
// JSON path, what was expected there and what was found. Never a stack trace.
import type { Notebook } from './schema';
import { checkNotebook, type NotebookError } from './explain';
import { backendNames } from '../backends/registry';

export { jsonPath, type NotebookError } from './explain';

export type Validated = { ok: true; notebook: Notebook } | { ok: false; errors: NotebookError[] };

export class NotebookInvalidError extends Error {
  constructor(
    readonly source: string,
    readonly errors: NotebookError[],
  ) {
    super(`${source} is not a valid notebook:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    this.name = 'NotebookInvalidError';
  }
}

function checkRegistries(nb: Notebook): NotebookError[] {
  const errors: NotebookError[] = [];
  const oneOf = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  nb.cells.forEach((cell, i) => {
    if (cell.type !== 'experiment') return;
    cell.backends.forEach((b, j) => {
      if (!backendNames.includes(b)) {
        errors.push({ path: `cells[${i}].backends[${j}]`, message: `expected one of ${oneOf(backendNames)}, found "${b}"` });
      }
    });
    const dup = cell.backends.find((b, j) => cell.backends.indexOf(b) !== j);
    if (dup) errors.push({ path: `cells[${i}].backends`, message: `expected each backend once, found "${dup}" twice` });
  });
  return errors;
}

/** Notebook data in either format: the notebook in today's format, or every problem by path. */
export function validateNotebook(data: unknown): Validated {
  const checked = checkNotebook(data);
  if (!checked.ok) return checked;
  const notebook = checked.notebook;
  const registryErrors = checkRegistries(notebook);
  if (registryErrors.length > 0) return { ok: false, errors: registryErrors };
  return { ok: true, notebook };
}

/** Parse and validate notebook text; JSON syntax errors are reported with line and column. */
export function parseNotebookText(text: string): Validated {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const at = syntaxErrorOffset(text);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    const near = JSON.stringify(text.slice(at, at + 20));
    return {
      ok: false,
      errors: [{ path: '$', message: `expected JSON, found a syntax error at line ${line}, column ${col} (near ${near}): ${(e as Error).message.split('\n')[0]}` }],
    };
  }
  return validateNotebook(data);
}

/**
 * Offset of the first JSON syntax error. V8's messages do not always carry a position, so find
 * it: a prefix is "fine so far" when it parses, or fails only because it ends; the error sits
 * right after the longest such prefix.
 */
export function syntaxErrorOffset(text: string): number {
  const fineSoFar = (n: number): boolean => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      if (/Unexpected end of JSON input/.test(msg)) return true;
      const pos = /at position (\d+)/.exec(msg);
      return pos !== null && Number(pos[1]) >= n;
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fineSoFar(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The canonical text of a notebook: what is stored and hashed. */
export function canonicalText(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 2)}\n`;
}
