// The one handler map behind every transport (Electron IPC and the web mode), in the manner of
// Actual Budget: `createHandlers` binds each API method to the engine, `dispatch` is the boundary
// every call from a UI goes through — method name and input checked with the contract's zod
// schemas, engine errors mapped to ApiError, never a stack trace.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../engine/lab';
import { createNotebook, readNotebookFile, saveRevision } from '../engine/notebooks';
import { NOTEBOOK_FORMAT, type Notebook } from '../engine/common/notebook/schema';
import { NotebookInvalidError, validateNotebook } from '../engine/notebook/validate';
import { repoRoot } from '../engine/paths';
import { inputs, type ApiError, type Input, type Method, type NotebookSummary, type Outputs, type Result } from './contract';
import { ApiFailure, toApiError, zodProblems } from './errors';
import type { JobManager } from './jobs';

export type Handlers = { [M in Method]: (input: Input<M>) => Promise<Outputs[M]> };

/** Artifacts are returned as text up to this many bytes (logs can be large). */
export const ARTIFACT_TEXT_LIMIT = 8 * 1024 * 1024;

/** Shipped notebooks live in experiments/ at the repository (or packaged app) root. */
export function experimentsDir(): string {
  return join(repoRoot(), 'experiments');
}

function shippedFiles(): string[] {
  try {
    return readdirSync(experimentsDir())
      .filter((f) => /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/.test(f))
      .sort();
  } catch {
    return [];
  }
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'saio-lab-api-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createHandlers(lab: Lab, jobs: JobManager): Handlers {
  const store = lab.store;
  const runRecord = (ref: string) => {
    const run = store.getRun(ref) ?? store.findRun(ref);
    if (!run) throw new ApiFailure('not_found', `no run "${ref}"`);
    return run;
  };

  return {
    'notebooks.list': async () =>
      lab.listNotebooks().map((n): NotebookSummary => {
        const runs = lab.runs(n.id);
        let title = n.name;
        try {
          title = lab.content(n.id).content.title;
        } catch {
          // a notebook without a readable head still lists, under its name
        }
        return { ...n, title, revisions: lab.history(n.id).length, runs: runs.length, last_run: runs.at(-1) ?? null };
      }),

    'notebooks.get': async ({ ref, rev }) => lab.content(ref, rev),

    'notebooks.create': async ({ name, from, content, message: given }) => {
      if (from !== undefined && content !== undefined) throw new ApiFailure('invalid_input', 'give either "from" (a shipped notebook) or "content", not both');
      let nb: Notebook;
      let message = given ?? 'Create notebook';
      if (from !== undefined) {
        const file = shippedFiles().find((f) => f === from || f === `${from}.json`);
        if (!file) throw new ApiFailure('not_found', `no shipped notebook "${from}" (shipped: ${shippedFiles().join(', ') || 'none'})`);
        nb = readNotebookFile(join(experimentsDir(), file));
        message = given ?? `Create from ${file}`;
      } else if (content !== undefined) {
        const v = validateNotebook(content);
        if (!v.ok) throw new NotebookInvalidError(`notebook "${name}"`, v.errors);
        nb = v.notebook;
      } else {
        nb = { format: NOTEBOOK_FORMAT, title: name, cells: [] };
      }
      return createNotebook(store, name, nb, message);
    },

    'notebooks.validate': async ({ content }) => {
      const v = validateNotebook(content);
      return v.ok ? { ok: true } : { ok: false, errors: v.errors };
    },

    'notebooks.save': async ({ ref, content, message }) => {
      const notebook = lab.notebook(ref);
      const v = validateNotebook(content);
      if (!v.ok) return { ok: false, errors: v.errors };
      const r = saveRevision(store, notebook, v.notebook, message);
      return { ok: true, revision: r.revision, created: r.created };
    },

    'notebooks.history': async ({ ref }) => lab.history(ref),
    'notebooks.diff': async ({ ref, from, to }) => lab.diff(ref, from, to),
    'notebooks.restore': async ({ ref, rev }) => lab.restore(ref, rev),

    'experiments.shipped': async () =>
      shippedFiles().flatMap((file) => {
        try {
          return [{ file, title: readNotebookFile(join(experimentsDir(), file)).title }];
        } catch {
          return []; // a broken shipped file is not offered
        }
      }),

    'runs.list': async ({ ref }) => lab.runs(ref),
    'runs.get': async ({ run }) => lab.runResults(runRecord(run).id),
    'runs.artifacts': async ({ run }) => store.listArtifacts(runRecord(run).id),
    'runs.artifact': async ({ id }) => {
      const a = store.getArtifact(id);
      const content = a && store.artifactContent(id);
      if (!a || !content) throw new ApiFailure('not_found', `no artifact ${id}`);
      const truncated = content.length > ARTIFACT_TEXT_LIMIT;
      return { id: a.id, name: a.name, kind: a.kind, text: content.subarray(0, ARTIFACT_TEXT_LIMIT).toString('utf8'), truncated };
    },

    'runs.start': async ({ ref, cells, quick }) => jobs.start(ref, { cells, quick }),
    'runs.cancel': async ({ job }) => jobs.cancel(job),
    'runs.jobs': async () => jobs.list(),
    'runs.report': async ({ ref, runs, gate }) => lab.report(ref, runs, { gate }),

    'bundles.export': async ({ ref }) => {
      const notebook = lab.notebook(ref);
      return withTempDir((dir) => {
        const file = join(dir, `${notebook.name}.saiolab`);
        const r = lab.exportBundle(notebook.id, file);
        return { file_name: `${notebook.name}.saiolab`, data_base64: readFileSync(file).toString('base64'), runs: r.runs, revisions: r.revisions, artifacts: r.artifacts, bytes: r.bytes };
      });
    },

    'bundles.import': async ({ data_base64, as, file_name }) => {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data_base64) || data_base64.length % 4 === 1) {
        throw new ApiFailure('invalid_input', 'data_base64: expected base64 text', [{ path: 'data_base64', message: 'expected base64 text' }]);
      }
      return withTempDir((dir) => {
        const file = join(dir, 'import.saiolab');
        writeFileSync(file, Buffer.from(data_base64, 'base64'));
        try {
          const r = lab.importBundle(file, { as });
          return { notebook: r.notebook, revisions_added: r.revisions_added, revisions_present: r.revisions_present, runs_added: r.runs_added, runs_present: r.runs_present, head_moved: r.head_moved };
        } catch (e) {
          // The bundle's problems are said of the file the user gave, not of this temporary copy.
          if (e instanceof Error && e.name === 'BundleError') e.message = e.message.split(file).join(file_name ?? 'the bundle');
          throw e;
        }
      });
    },
  };
}

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(inputs, name);
}

const fail = (error: ApiError): { ok: false; error: ApiError } => ({ ok: false, error });

/**
 * The boundary: check the method name and the input against the contract, run the handler, and
 * turn whatever it throws into an ApiError. `log` hears about internal errors (with their stack),
 * which callers never see.
 */
export async function dispatch(handlers: Handlers, method: string, rawInput: unknown, log?: (method: string, e: unknown) => void): Promise<Result<Method>> {
  if (!isMethod(method)) {
    return fail({ code: 'invalid_input', message: `unknown method "${String(method).slice(0, 100)}"` });
  }
  const parsed = inputs[method].safeParse(rawInput);
  if (!parsed.success) {
    const errors = zodProblems(parsed.error);
    return fail({ code: 'invalid_input', message: `${method}: invalid input: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors });
  }
  try {
    const handler = handlers[method] as (input: unknown) => Promise<Outputs[Method]>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (e) {
    const error = toApiError(e);
    if (error.code === 'internal') log?.(method, e);
    return fail(error);
  }
}
