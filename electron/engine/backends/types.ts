// A backend decides how the server's I/O system calls are executed: untouched (baseline), or
// through libsaio with one of its backends. It only changes how the server is launched.
import type { ServerLaunch } from '../servers/types';

export interface BackendContext {
  /** Writable directory of this point; a backend may leave files here (stats, logs). */
  pointDir: string;
}

export interface BackendArtifact {
  kind: string;
  name: string;
  path: string;
}

export interface BackendModule {
  name: string;
  /** null when the backend can run here; otherwise what is missing and what to do about it. */
  unavailable(): string | null;
  wrap(launch: ServerLaunch, ctx: BackendContext): ServerLaunch;
  /** Files the backend left for this point, to be stored as artifacts (missing ones are skipped). */
  artifacts(ctx: BackendContext): BackendArtifact[];
}
