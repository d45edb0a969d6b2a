// Errors cross the API boundary as data (ApiError), never as stacks. Handlers throw ApiFailure for
// conditions they detect themselves; engine errors are mapped by their class.
import type { ZodError } from 'zod';
import { jsonPath, type NotebookError } from '../engine/notebook/validate';
import type { ApiError } from './contract';

export class ApiFailure extends Error {
  constructor(
    readonly code: ApiError['code'],
    message: string,
    readonly errors?: NotebookError[],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** zod issues as `{ path, message }` with JSON paths (`cells[0]`, `$` for the input itself). */
export function zodProblems(error: ZodError): NotebookError[] {
  return error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }));
}

const firstLine = (s: string) => (s.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 500);

/**
 * Map anything thrown by a handler to an ApiError. Engine classes are matched by name as well as
 * by class, so that errors from another copy of a module (tests, bundles) map the same way.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiFailure) return e.errors ? { code: e.code, message: e.message, errors: e.errors } : { code: e.code, message: e.message };
  if (!(e instanceof Error)) return { code: 'internal', message: `internal error: ${firstLine(String(e))}` };
  switch (e.name) {
    case 'NotebookInvalidError': {
      const errors = (e as Error & { errors?: NotebookError[] }).errors ?? [];
      return { code: 'invalid_notebook', message: firstLine(e.message), errors };
    }
    case 'BundleError':
      return { code: 'bad_bundle', message: firstLine(e.message) };
    case 'LabError':
      return { code: labErrorCode(e.message), message: firstLine(e.message) };
    default:
      return { code: 'internal', message: `internal error (${e.name}): ${firstLine(e.message)}` };
  }
}

/** LabError carries no code: "exists already" is a conflict, a bad name is bad input, the rest are lookups. */
function labErrorCode(message: string): ApiError['code'] {
  if (/exists already|already exists/.test(message)) return 'conflict';
  if (/is not a notebook name/.test(message)) return 'invalid_input';
  return 'not_found';
}
