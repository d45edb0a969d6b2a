// The CLI as a client of the API's handler map — the one the Electron bridge and the web mode
// both carry — called in process through `dispatch`: input checked by the contract's schemas,
// engine errors turned into the same ApiErrors a UI sees, and the same events (a run's progress,
// its job's end). Files stay the CLI's business, as they are the UI's: it reads a notebook or a
// bundle and hands over the content, and writes the bundle it is given (replay too: the report
// files are what runs.report returns, written here).
import { createHandlers, dispatch, type Handlers } from '../api/handlers';
import { JobManager } from '../api/jobs';
import type { ApiError, Input, LabEvent, Method, Outputs } from '../api/contract';
import type { Lab } from '../engine/lab';

/** A failed API call: `error.code` says whose fault (internal: ours; anything else: the input's). */
export class ApiCallError extends Error {
  constructor(readonly error: ApiError) {
    // The problems by path, each on its own line, unless the message already says them.
    const more = (error.errors ?? []).filter((e) => !error.message.includes(e.message));
    super([error.message, ...more.map((e) => `  ${e.path}: ${e.message}`)].join('\n'));
    this.name = 'ApiCallError';
  }
}

export type ApiCall = <M extends Method>(method: M, input: Input<M>) => Promise<Outputs[M]>;

export interface ApiClient {
  call: ApiCall;
  /** The events of this client's jobs (one lab, one CLI: only its own). */
  subscribe(listener: (e: LabEvent) => void): () => void;
}

export function apiClient(lab: Lab): ApiClient {
  // Pipes, as the CLI's own runs use: no pseudo-terminal.
  const jobs = new JobManager(lab, { pty: false });
  return handlerClient(createHandlers(lab, jobs), (listener) => jobs.subscribe(listener));
}

/** A client of any handler map (the lab's, or a test's), every call through `dispatch`. */
export function handlerClient(handlers: Handlers, subscribe: ApiClient['subscribe']): ApiClient {
  const call: ApiCall = async (method, input) => {
    // An internal error is ours, not the input's: the engine's own error (a database error, a
    // bug with its stack) goes on to main, as it would without the API between.
    let internal: unknown;
    const r = await dispatch(handlers, method, input, (_method, e) => (internal = e));
    if (!r.ok) throw r.error.code === 'internal' && internal !== undefined ? internal : new ApiCallError(r.error);
    return r.value as Outputs[typeof method];
  };
  return { call, subscribe };
}
