// A load driver turns one point's load into command lines and their output into LoadResults.
// The runner owns processes; a driver never spawns anything itself. What the notebook may say
// about a driver (its settings, protocols, rules) is in catalog.ts.
import type { LoadResult } from '../model';
import type { ProtocolSettings } from '../common/protocols/catalog';
import type { Dataset, Endpoint } from '../protocols/types';
import type { DriverSettings } from '../common/drivers/catalog';

export interface LoadSpec {
  endpoint: Endpoint;
  protocol: ProtocolSettings;
  /** What the server serves (HTTP: the file every body must equal). */
  dataset: Dataset;
  connections: number;
  duration_s: number;
  warmup_s: number;
  /** Open loop at this many requests/s (all connections together); null: closed loop. */
  rate_per_s: number | null;
  /** The cell's driver settings (of this driver's kind). */
  settings: DriverSettings;
  /** One of several generators (runner/split-load.ts): its own key prefix (redis, memcached). */
  key_prefix?: string;
  /** One of several generators: start the load at this wall-clock time of its host (Unix ms). */
  start_at_ms?: number;
}

/** One run of the load generator within a point. */
export interface Invocation {
  /** File stem of its output in the point's directory (driver.stdout, driver-warmup.stdout). */
  name: string;
  /** The point's numbers come from the (last) 'measure' invocation; a 'warmup' one only checks. */
  purpose: 'warmup' | 'measure';
  /** argv[0] is the program (resolved through PATH, or an absolute path). */
  argv: string[];
  /**
   * false: its stdout is a document for the lab (saio-load's JSON, histograms included), kept as
   * an artifact but not streamed to a live terminal, which gets a one-line summary instead.
   */
  liveStdout?: boolean;
}

export interface Driver {
  kind: string;
  /** argv that prints the driver's version (on stdout or stderr). */
  versionArgv(): string[];
  parseVersion(output: string): string;
  /** null when the driver can run here; otherwise what is missing and what to do. */
  unavailable(): string | null;
  /** The invocations of one point, in order. */
  invocations(spec: LoadSpec): Invocation[];
  /**
   * The settings of a closed-loop capacity probe for a sweep of rates given as fractions of
   * capacity: the probe must allow as many requests in flight per connection as the open loop
   * will, or the capacity it measures is not the one the fractions are of. Absent: the same.
   */
  probeSettings?(settings: DriverSettings): DriverSettings;
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

/** The settings of `kind` from a cell's driver settings (the notebook schema keeps them paired). */
export function settingsOf<K extends DriverSettings['kind']>(s: DriverSettings, kind: K): Extract<DriverSettings, { kind: K }> {
  if (s.kind !== kind) throw new Error(`driver ${kind} was handed the settings of ${s.kind}`);
  return s as Extract<DriverSettings, { kind: K }>;
}
