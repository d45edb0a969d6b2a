// Instant, in-page validation with the notebook schema itself (the same zod definition the engine
// uses), so a field shows its error on the keystroke that caused it. The engine's
// `notebooks.validate` runs after a short pause and is authoritative (it also checks the
// registries of servers, backends and drivers); its answer replaces these errors.
import type { z } from 'zod';
import { Notebook, NOTEBOOK_FORMAT } from '../../../electron/engine/notebook/schema';
import { jsonPath, type NotebookError } from './paths';

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
    case 'invalid_format':
      return `expected ${issue.message ?? issue.format}, found ${found}`;
    case 'custom':
      return `expected ${issue.message}`;
    default:
      return issue.message;
  }
}

export function validateLocal(draft: unknown): NotebookError[] {
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft)) {
    return [{ path: '$', message: `expected a notebook object, found ${describe(draft)}` }];
  }
  if ((draft as { format?: unknown }).format !== NOTEBOOK_FORMAT) {
    return [{ path: 'format', message: `expected "${NOTEBOOK_FORMAT}", found ${describe((draft as { format?: unknown }).format)}` }];
  }
  const parsed = Notebook.safeParse(draft);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({ path: jsonPath(issue.path as (string | number)[]), message: explain(issue, draft) }));
}
