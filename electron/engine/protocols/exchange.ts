// One request/response exchange on a fresh TCP connection to 127.0.0.1, bounded in time: the
// few requests the lab itself sends (readiness, after-load checks) to redis and memcached.
import { connect } from 'node:net';

/**
 * Connect, write `request`, and collect bytes until `complete(received)` says the reply is whole
 * (or the peer closes). Rejects on a socket error or after `timeoutMs`.
 */
export function exchange(host: string, port: number, request: Buffer, complete: (received: Buffer) => boolean, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = connect({ host, port });
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      // A reply the caller cannot read (complete() throws) ends the exchange with that error.
      try {
        if (complete(Buffer.concat(chunks, size))) finish(null);
      } catch (e) {
        finish(e as Error);
      }
    });
    socket.on('end', () => finish(null));
    socket.on('error', (e) => finish(e));
  });
}
