// memcached in the foreground, configured by its command line (it has no config file): bound to
// 127.0.0.1 over TCP only (-U 0), `workers` = worker threads (-t). extra_config adds arguments,
// split on whitespace (never through a shell).
import { SERVERS } from '../common/servers/catalog';
import { infoOf, type ServerInstanceSpec, type ServerLaunch, type ServerModule } from './types';

export function memcachedArgv(spec: ServerInstanceSpec): string[] {
  // As root memcached refuses to start unless told which user to run as.
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const extra = spec.extraConfig.split(/\s+/).filter((a) => a !== '');
  return ['memcached', '-l', spec.address ?? '127.0.0.1', '-p', String(spec.port), '-U', '0', '-t', String(spec.workers), '-c', '16384', '-m', '256', ...user, ...extra];
}

export const memcached: ServerModule = {
  ...infoOf(SERVERS, 'memcached'),
  versionArgv: ['memcached', '-V'],
  parseVersion(output) {
    const m = /memcached (\S+)/.exec(output);
    if (!m?.[1]) throw new Error(`cannot read memcached's version from: ${output.trim().slice(0, 200)}`);
    return `memcached/${m[1]}`;
  },
  launch(spec): ServerLaunch {
    return {
      argv: memcachedArgv(spec),
      env: {},
      files: [],
      logFile: null,
      // SIGTERM: memcached exits (SIGUSR1 would wait for connections, which a load may hold).
      stopSignal: 'SIGTERM',
    };
  },
};
