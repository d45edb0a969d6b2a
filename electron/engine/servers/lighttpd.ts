// lighttpd in the foreground (-D), one config per point inside the point's run directory.
// lighttpd 1.4 has one process; `workers` > 1 uses server.max-worker (pre-forked workers).
import { join } from 'node:path';
import { SERVERS } from '../common/servers/catalog';
import { docRootOf, infoOf, keepAliveOf, type ServerInstanceSpec, type ServerLaunch, type ServerModule } from './types';

function config(spec: ServerInstanceSpec): string {
  const p = (name: string) => JSON.stringify(join(spec.runDir, name));
  return `# written by saio-lab for one sweep point
server.bind = "${spec.address ?? '127.0.0.1'}"
server.port = ${spec.port}
server.document-root = ${JSON.stringify(docRootOf(spec))}
server.pid-file = ${p('lighttpd.pid')}
server.errorlog = ${p('error.log')}
server.max-fds = 16384
server.max-connections = 8192
server.network-backend = "sendfile"
${spec.workers > 1 ? `server.max-worker = ${spec.workers}\n` : ''}server.max-keep-alive-requests = ${keepAliveOf(spec) ? 100000000 : 0}
server.max-keep-alive-idle = 65
mimetype.assign = ( "" => "application/octet-stream" )
${spec.extraConfig ? `\n# extra_config from the notebook\n${spec.extraConfig}\n` : ''}`;
}

export const lighttpd: ServerModule = {
  ...infoOf(SERVERS, 'lighttpd'),
  versionArgv: ['lighttpd', '-v'],
  parseVersion(output) {
    const m = /lighttpd\/(\S+)/.exec(output);
    if (!m?.[1]) throw new Error(`cannot read lighttpd's version from: ${output.trim().slice(0, 200)}`);
    return `lighttpd/${m[1]}`;
  },
  launch(spec): ServerLaunch {
    const conf = join(spec.runDir, 'lighttpd.conf');
    return {
      argv: ['lighttpd', '-D', '-f', conf],
      env: {},
      files: [{ path: conf, content: config(spec) }],
      logFile: join(spec.runDir, 'error.log'),
      // SIGINT: lighttpd's graceful shutdown (finish requests in flight, then exit).
      stopSignal: 'SIGINT',
    };
  },
};
