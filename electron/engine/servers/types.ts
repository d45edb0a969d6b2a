// A server module knows how to configure and start one server program; the runner does the rest
// (run directory, port, process lifetime, readiness, sampling, stop).

export interface ServerInstanceSpec {
  /** Writable directory of this point: the module writes config, pid and temp paths under it. */
  runDir: string;
  /** Directory holding the one file requests fetch. */
  docRoot: string;
  fileName: string;
  port: number;
  workers: number;
  keepAlive: boolean;
  extraConfig: string;
}

export interface ServerLaunch {
  /** argv[0] is the program, resolved through PATH; never a shell string. */
  argv: string[];
  env: Record<string, string>;
  /** Files to write before start, paths absolute (inside runDir). */
  files: { path: string; content: string }[];
  /** URL of the served file. */
  url: string;
  /** Signal that asks the server to finish and exit. */
  stopSignal: NodeJS.Signals;
}

export interface ServerModule {
  kind: string;
  /** argv that prints the server's version on stdout or stderr. */
  versionArgv: string[];
  parseVersion(output: string): string;
  launch(spec: ServerInstanceSpec): ServerLaunch;
}
