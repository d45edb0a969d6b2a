// nginx in the foreground with its master process, one config per point, all paths inside the
// point's run directory so that nothing touches /etc/nginx or /var.
import { join } from 'node:path';
import { SERVERS } from '../common/servers/catalog';
import { docRootOf, infoOf, keepAliveOf, type ServerInstanceSpec, type ServerLaunch, type ServerModule } from './types';

/** HTTPS with the run's certificate; kTLS: OpenSSL hands the record layer to the kernel, and sendfile goes through it (SSL_sendfile). */
function tlsConfig(tls: { cert: string; key: string }, ktls: boolean): string {
  return (
    `        ssl_certificate ${tls.cert};\n        ssl_certificate_key ${tls.key};\n` +
    '        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache off;\n        ssl_session_tickets off;\n' +
    (ktls ? '        ssl_conf_command Options KTLS;\n' : '')
  );
}

function config(spec: ServerInstanceSpec): string {
  const p = (name: string) => join(spec.runDir, name);
  const tls = spec.dataset.tls ?? null;
  // Running as root, nginx would drop its workers to "nobody", who cannot read a run directory
  // under root's home; keep the workers as the user that runs the lab.
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  return `# written by saio-lab for one sweep point
daemon off;
master_process on;
${user}worker_processes ${spec.workers};
pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;

events {
    worker_connections 16384;
}

http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout ${keepAliveOf(spec) ? '65s' : '0'};
    client_body_temp_path ${p('tmp-client')};
    proxy_temp_path ${p('tmp-proxy')};
    fastcgi_temp_path ${p('tmp-fastcgi')};
    uwsgi_temp_path ${p('tmp-uwsgi')};
    scgi_temp_path ${p('tmp-scgi')};
    default_type application/octet-stream;
${spec.extraConfig ? `\n    # extra_config from the notebook\n${spec.extraConfig.replace(/^/gm, '    ')}\n` : ''}
    server {
        # reuseport: with several workers, each gets its own accept queue; without it one worker
        # tends to take every connection. It also lets another reuseport listener (a second lab)
        # bind this port: the runner checks the port's listeners (hosts/port-owner.ts).
        listen ${spec.address ?? '127.0.0.1'}:${spec.port}${tls ? ' ssl' : ''} reuseport;
        root ${docRootOf(spec)};
${tls ? tlsConfig(tls, spec.protocol.kind === 'http' && spec.protocol.tls === 'ktls') : ''}    }
}
`;
}

export const nginx: ServerModule = {
  ...infoOf(SERVERS, 'nginx'),
  versionArgv: ['nginx', '-v'],
  parseVersion(output) {
    const m = /nginx version: (\S+)/.exec(output);
    if (!m?.[1]) throw new Error(`cannot read nginx's version from: ${output.trim().slice(0, 200)}`);
    return m[1];
  },
  launch(spec): ServerLaunch {
    const conf = join(spec.runDir, 'nginx.conf');
    return {
      argv: ['nginx', '-p', spec.runDir, '-c', conf, '-e', join(spec.runDir, 'error.log')],
      env: {},
      files: [{ path: conf, content: config(spec) }],
      logFile: join(spec.runDir, 'error.log'),
      // SIGQUIT: graceful shutdown — workers finish their connections, then exit.
      stopSignal: 'SIGQUIT',
    };
  },
};
