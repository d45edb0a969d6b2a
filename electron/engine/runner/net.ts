// Loopback helpers: a free port, waiting until a server answers, fetching a body's sha256.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** A port the kernel considers free right now (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Fetched {
  status: number;
  sha256: string;
  bytes: number;
}

/** One GET on a fresh connection; rejects on a socket error or after timeoutMs. */
export function fetchSha256(url: string, timeoutMs: number): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        hash.update(b);
        bytes += b.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex'), bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Poll until the server answers 200 on `url`. Fails early when `alive()` turns false (the server
 * exited), and after `timeoutMs` otherwise.
 */
export async function waitUntilServing(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the server exited before it answered');
    try {
      const r = await fetchSha256(url, 1000);
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the server did not answer ${url} within ${timeoutMs} ms (last: ${last})`);
}
