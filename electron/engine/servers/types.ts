// A server module knows how to configure and start one server program; the runner does the rest
// (run directory, port, process lifetime, sampling, stop) and the protocol module the server
// speaks knows its dataset, endpoint, readiness and checks.
import type { ProtocolSettings } from '../common/protocols/catalog';
import type { Dataset } from '../protocols/types';
import type { ServerInfo } from '../common/servers/catalog';

export interface ServerInstanceSpec {
  /** Writable directory of this point: the module writes config, pid and temp paths under it. */
  runDir: string;
  /** The address to listen on; default 127.0.0.1 (another one when the load comes from another host). */
  address?: string;
  port: number;
  workers: number;
  extraConfig: string;
  /** The cell's protocol settings (the protocol this server speaks). */
  protocol: ProtocolSettings;
  /** What the protocol prepared for the server to serve (HTTP: the docroot). */
  dataset: Dataset;
}

export interface ServerLaunch {
  /** argv[0] is the program, resolved through PATH; never a shell string. */
  argv: string[];
  env: Record<string, string>;
  /** Files to write before start, paths absolute (inside runDir). */
  files: { path: string; content: string }[];
  /** Where the server writes its own log, when it has one (kept as the point's server-log). */
  logFile: string | null;
  /** Signal that asks the server to finish and exit. */
  stopSignal: NodeJS.Signals;
}

export interface ServerModule extends ServerInfo {
  /** argv that prints the server's version on stdout or stderr. */
  versionArgv: string[];
  parseVersion(output: string): string;
  launch(spec: ServerInstanceSpec): ServerLaunch;
}

/** The catalog entry of `kind` (the protocol a module speaks is the catalog's, never its own). */
export function infoOf<K extends string>(catalog: readonly ServerInfo[], kind: K): ServerInfo {
  const info = catalog.find((s) => s.kind === kind);
  if (!info) throw new Error(`server "${kind}" is not in servers/catalog.ts`);
  return info;
}

/** The docroot an HTTP server serves (prepared by the http protocol). */
export function docRootOf(spec: ServerInstanceSpec): string {
  if (spec.dataset.docRoot === null) throw new Error('an HTTP server needs the http dataset (a docroot)');
  return spec.dataset.docRoot;
}

export function keepAliveOf(spec: ServerInstanceSpec): boolean {
  return spec.protocol.kind === 'http' ? spec.protocol.keep_alive : true;
}
