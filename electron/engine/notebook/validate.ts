// Turns notebook text into a typed Notebook, or into errors a person can act on: each names the
// JSON path, what was expected there and what was found. Never a stack trace.
import type { z } from 'zod';
import { Notebook, NOTEBOOK_FORMAT } from './schema';
import { backendNames } from '../backends/registry';
import { serverKinds } from '../servers/registry';
import { driverKinds } from '../drivers/registry';

export interface NotebookError {
  /** JSON path such as `cells[2].sweep.connections[0]`; `$` for the document itself. */
  path: string;
  /** What was expected there, and what was found. */
  message: string;
}

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

export function jsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '$' : out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function explain(issue: z.core.$ZodIssue, root: unknown): string {
  const found = describe(valueAt(root, issue.path));
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `expected a whole number, found ${found}`;
      return `expected ${issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`}, found ${found}`;
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s), found ${found === 'an array' ? (valueAt(root, issue.path) as unknown[]).length : found}`;
      if (issue.origin === 'string') return `expected at least ${issue.minimum} character(s), found ${found}`;
      return `expected a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, found ${found}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${issue.maximum} item(s)`;
      if (issue.origin === 'string') return `expected at most ${issue.maximum} character(s)`;
      return `expected a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, found ${found}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, found ${found}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        return `expected ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, found ${found}`;
      }
      return `matches none of the allowed shapes (found ${found})`;
    case 'invalid_format':
      return `expected ${issue.message ?? issue.format}, found ${found}`;
    case 'custom':
      return `expected ${issue.message}`;
    default:
      return issue.message;
  }
}

function checkRegistries(nb: Notebook): NotebookError[] {
  const errors: NotebookError[] = [];
  const oneOf = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
  nb.cells.forEach((cell, i) => {
    if (cell.type !== 'experiment') return;
    if (!serverKinds.includes(cell.server.kind)) {
      errors.push({ path: `cells[${i}].server.kind`, message: `expected one of ${oneOf(serverKinds)}, found "${cell.server.kind}"` });
    }
    if (!driverKinds.includes(cell.driver.kind)) {
      errors.push({ path: `cells[${i}].driver.kind`, message: `expected one of ${oneOf(driverKinds)}, found "${cell.driver.kind}"` });
    }
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

export function validateNotebook(data: unknown): Validated {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: [{ path: '$', message: `expected a notebook object, found ${describe(data)}` }] };
  }
  const format = (data as { format?: unknown }).format;
  if (format !== NOTEBOOK_FORMAT) {
    return {
      ok: false,
      errors: [{ path: 'format', message: `expected "${NOTEBOOK_FORMAT}", found ${describe(format)}` }],
    };
  }
  const parsed = Notebook.safeParse(data);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: explain(issue, data) })) };
  }
  const registryErrors = checkRegistries(parsed.data);
  if (registryErrors.length > 0) return { ok: false, errors: registryErrors };
  return { ok: true, notebook: parsed.data };
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
