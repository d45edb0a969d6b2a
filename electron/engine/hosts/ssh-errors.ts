// What went wrong when ssh could not run a command, in one line that says what to do. ssh exits
// with 255 for its own failures and prints why on stderr; the wording below is OpenSSH's.
import { HostError } from './types';

/** The HostError for an ssh failure, from its exit status and stderr. */
export function sshFailure(name: string, address: string, code: number | null, stderr: string): HostError {
  const at = `${name} (${address})`;
  const text = stderr.replace(/\r/g, '');
  const last =
    text
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop() ?? '';
  let m: RegExpExecArray | null;
  if ((m = /Permission denied \(([^)]*)\)/.exec(text)) || /Too many authentication failures/.test(text)) {
    return new HostError(
      name,
      'auth',
      `${at}: authentication failed${m ? ` (server accepts: ${m[1]})` : ''}: the key ssh offered is not accepted — check IdentityFile or ssh-agent for this host, and the remote user's authorized_keys`,
    );
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No [A-Z0-9-]+ host key is known/.test(text)) {
    return new HostError(name, 'host-key', `${at}: the host key is unknown or has changed — connect once with ssh to check and record it in known_hosts (the lab never accepts host keys on its own)`);
  }
  if (/Could not resolve hostname|Name or service not known|Temporary failure in name resolution/.test(text)) {
    return new HostError(name, 'unreachable', `${at}: the host name does not resolve — check the address in the notebook's hosts, or its HostName in ~/.ssh/config`);
  }
  if (/Connection refused/.test(text)) {
    return new HostError(name, 'unreachable', `${at}: unreachable: connection refused (no sshd listens there) — is sshd running on that host and port?`);
  }
  if (/No route to host|Network is unreachable|Connection timed out|Operation timed out|timed out during banner exchange|Connection closed by .* port|kex_exchange_identification/.test(text)) {
    const why = /No route to host/.test(text) ? 'no route to host' : /Network is unreachable/.test(text) ? 'network unreachable' : 'no answer in time';
    return new HostError(name, 'unreachable', `${at}: unreachable: ${why} — check that the host is up and the address is right (${last})`);
  }
  if (/Bad configuration option|Can't open user config file|command-line: line|Unsupported option|garbage at end of line|Bad port/i.test(text)) {
    return new HostError(name, 'config', `${at}: ssh refused its configuration: ${last}`);
  }
  if (/Connection to .* closed by remote host|Broken pipe|Connection reset|client_loop: send disconnect|mux_client_.*: read .*failed|Control socket connect.*: No such file/.test(text)) {
    return new HostError(name, 'gone', `${at}: the connection was lost: ${last}`);
  }
  return new HostError(name, 'failed', `${at}: ssh failed (exit ${code ?? 'killed'})${last ? `: ${last}` : ''}`);
}
