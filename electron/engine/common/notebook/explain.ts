// The notebook schema's errors in words a person can act on: each names the JSON path, what was
// expected there and what was found. Pure (zod and the schema only), so the renderer validates
// as one types with exactly the engine's words; validate.ts adds the registry checks.
import type { z } from 'zod';
import { Notebook, NOTEBOOK_FORMAT } from './schema';
import { NOTEBOOK_FORMAT_V1, NotebookV1 } from './schema-v1';
import { upgradeNotebookV1 } from './upgrade';

export interface NotebookError {
  /** JSON path such as `cells[2].sweep.connections[0]`; `$` for the document itself. */
  path: string;
  /** What was expected there, and what was found. */
  message: string;
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
      return `expected ${issue.expected === 'object' || issue.expected === 'record' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`}, found ${found}`;
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
      // A union the schema describes in words (kmod.cpus: "local" or a CPU list) says so.
      if (issue.message && issue.message !== 'Invalid input') return `expected ${issue.message}, found ${found}`;
      return `matches none of the allowed shapes (found ${found})`;
    case 'invalid_key':
      // A record's key (kmod.module_params): the path ends with the key itself.
      return `expected ${issue.issues[0]?.message ?? 'a valid key'}, found the name ${describe(String(issue.path.at(-1)))}`;
    case 'invalid_format':
      return `expected ${issue.message ?? issue.format}, found ${found}`;
    case 'custom':
      return `expected ${issue.message}`;
    default:
      return issue.message;
  }
}

/**
 * A union that failed reports each of its branches' issues. When the value has the shape of
 * exactly one branch (the others fail on its type: an object where a list was expected), that
 * branch's issues say what is wrong, at their own paths (`sweep.rate.of_capacity[1]`), rather
 * than "matches none of the allowed shapes". A union that words its own message keeps it.
 */
function flatten(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.discriminator !== undefined || (issue.message && issue.message !== 'Invalid input')) return [issue];
  const atRoot = (branch: z.core.$ZodIssue[], code: string) => branch.some((i) => i.code === code && i.path.length === 0);
  let shaped = issue.errors.filter((branch) => !atRoot(branch, 'invalid_type'));
  // A list where one name was expected fails an enum at its root too: prefer the branch that got inside.
  if (shaped.length > 1) shaped = shaped.filter((branch) => !atRoot(branch, 'invalid_value'));
  if (shaped.length !== 1) return [issue];
  return shaped[0]!.flatMap((i) => flatten({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
}

function explained(issues: readonly z.core.$ZodIssue[], data: unknown): NotebookError[] {
  return issues.flatMap(flatten).map((issue) => ({ path: jsonPath(issue.path), message: explain(issue, data) }));
}

function issuesOf(schema: z.ZodType, data: unknown): NotebookError[] {
  const parsed = schema.safeParse(data);
  return parsed.success ? [] : explained(parsed.error.issues, data);
}

/**
 * The notebook in today's format (format-1 documents upgraded), or the errors the schema finds.
 * Errors in a format-1 document name its own paths.
 */
export function checkNotebook(data: unknown): { ok: true; notebook: Notebook } | { ok: false; errors: NotebookError[] } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: [{ path: '$', message: `expected a notebook object, found ${describe(data)}` }] };
  }
  const format = (data as { format?: unknown }).format;
  let current: unknown = data;
  if (format === NOTEBOOK_FORMAT_V1) {
    const errors = issuesOf(NotebookV1, data);
    if (errors.length > 0) return { ok: false, errors };
    current = upgradeNotebookV1(NotebookV1.parse(data));
  } else if (format !== NOTEBOOK_FORMAT) {
    return { ok: false, errors: [{ path: 'format', message: `expected "${NOTEBOOK_FORMAT}" (or the older "${NOTEBOOK_FORMAT_V1}"), found ${describe(format)}` }] };
  }
  const parsed = Notebook.safeParse(current);
  if (parsed.success) return { ok: true, notebook: parsed.data };
  return { ok: false, errors: explained(parsed.error.issues, current) };
}

/** Everything the schema alone says about `data` (empty when it is a well-formed notebook). */
export function schemaErrors(data: unknown): NotebookError[] {
  const r = checkNotebook(data);
  return r.ok ? [] : r.errors;
}
