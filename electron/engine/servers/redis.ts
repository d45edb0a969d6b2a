// redis-server in the foreground, one config file per point inside the point's run directory:
// bound to 127.0.0.1, no persistence (nothing touches /var/lib/redis), `workers` = io-threads
// (redis's threaded I/O: 1 is the main thread alone; reads threaded too when above 1).
import { join } from 'node:path';
import { SERVERS } from '../common/servers/catalog';
import { infoOf, type ServerInstanceSpec, type ServerLaunch, type ServerModule } from './types';

function config(spec: ServerInstanceSpec): string {
  return `# written by saio-lab for one sweep point
bind ${spec.address ?? '127.0.0.1'}
port ${spec.port}
protected-mode yes
daemonize no
supervised no
pidfile ${join(spec.runDir, 'redis.pid')}
logfile ${join(spec.runDir, 'redis.log')}
dir ${spec.runDir}
save ""
appendonly no
maxclients 10000
io-threads ${spec.workers}
io-threads-do-reads ${spec.workers > 1 ? 'yes' : 'no'}
${spec.extraConfig ? `\n# extra_config from the notebook\n${spec.extraConfig}\n` : ''}`;
}

export const redis: ServerModule = {
  ...infoOf(SERVERS, 'redis'),
  versionArgv: ['redis-server', '--version'],
  parseVersion(output) {
    const m = /Redis server v=(\S+)/.exec(output);
    if (!m?.[1]) throw new Error(`cannot read redis-server's version from: ${output.trim().slice(0, 200)}`);
    return `redis/${m[1]}`;
  },
  launch(spec): ServerLaunch {
    const conf = join(spec.runDir, 'redis.conf');
    return {
      argv: ['redis-server', conf],
      env: {},
      files: [{ path: conf, content: config(spec) }],
      logFile: join(spec.runDir, 'redis.log'),
      // SIGTERM: redis's shutdown (no save configured, so nothing is written).
      stopSignal: 'SIGTERM',
    };
  },
};
