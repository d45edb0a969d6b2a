// What each server is, for the notebook format and the forms: its name, the protocol it speaks
// and what its `workers` setting means. Pure; the modules that launch them (one per server, in
// this folder) take their protocol from here, so the two cannot disagree.
import type { ProtocolKind } from '../protocols/catalog';

export interface ServerInfo {
  kind: string;
  protocol: ProtocolKind;
  /** What `server.workers` sets for this server. */
  workers: string;
  /** The Debian/Ubuntu package that installs it. */
  apt: string;
}

export const SERVERS = [
  { kind: 'nginx', protocol: 'http', workers: 'worker processes (worker_processes)', apt: 'nginx' },
  { kind: 'lighttpd', protocol: 'http', workers: 'pre-forked workers (server.max-worker)', apt: 'lighttpd' },
  { kind: 'redis', protocol: 'redis', workers: 'I/O threads (io-threads)', apt: 'redis-server' },
  { kind: 'memcached', protocol: 'memcached', workers: 'worker threads (-t)', apt: 'memcached' },
] as const satisfies readonly ServerInfo[];

export const serverKinds: readonly string[] = SERVERS.map((s) => s.kind);

export function serverInfo(kind: string): ServerInfo | undefined {
  return SERVERS.find((s) => s.kind === kind);
}
