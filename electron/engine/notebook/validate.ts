// Turns notebook text into a typed Notebook, or into errors a person can act on: each names the
// JSON path, what was expected there and what was found. Never a stack trace.
import { jsonSyntaxError } from '../common/json-syntax';
import type { Notebook } from '../common/notebook/schema';
import { checkNotebook, type NotebookError } from '../common/notebook/explain';
import { backendNames } from '../backends/registry';

export { jsonPath, type NotebookError } from '../common/notebook/explain';

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
  const syntax = jsonSyntaxError(text);
  if (syntax) return { ok: false, errors: [{ path: '$', message: `expected JSON, found a syntax error at ${syntax.message}` }] };
  return validateNotebook(JSON.parse(text));
}

/** The canonical text of a notebook: what is stored and hashed. */
export function canonicalText(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 2)}\n`;
}
