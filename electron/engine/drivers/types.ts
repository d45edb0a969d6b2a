// A load driver turns a load specification into a command line and its output into a LoadResult.
// The runner owns processes; a driver never spawns anything itself.
import type { LoadResult } from '../model';

export interface LoadSpec {
  /** Full URL of the one resource every request fetches, on 127.0.0.1. */
  url: string;
  connections: number;
  threads: number;
  duration_s: number;
  timeout_s: number;
  keep_alive: boolean;
  /**
   * When set, every response body is compared with this file's bytes and counted in
   * LoadResult.verify. Costs throughput, so the runner uses it for warm-up by default.
   */
  verify_body_file?: string;
}

export interface Driver {
  kind: string;
  /** argv that prints the driver's version (on stdout or stderr). */
  versionArgv: string[];
  parseVersion(output: string): string;
  /** argv of one load phase; argv[0] is the program, resolved through PATH. */
  argv(spec: LoadSpec): string[];
  /** Parse one invocation's whole stdout; throws DriverOutputError when it cannot. */
  parse(stdout: string): LoadResult;
}

export class DriverOutputError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'DriverOutputError';
  }
}
