// A protocol module owns what the lab must know about talking to a server, apart from load:
// what to prepare for it to serve (the dataset), where it answers (the endpoint), when it is
// ready, and one check through it after the load that says whether it still answers correctly.
import type { AfterCheck } from '../model';
import type { ProtocolKind, ProtocolSettings } from '../common/protocols/catalog';

export interface Dataset {
  /** HTTP: the directory the server serves and the one file in it every request fetches. */
  docRoot: string | null;
  fileName: string | null;
  /** HTTP: that file's path and sha256 (what every response body must equal). */
  bodyFile: string | null;
  sha256: string | null;
  /** HTTPS: the run's self-signed certificate and its key (PEM files; never inside the docroot). */
  tls?: { cert: string; key: string } | null;
}

export interface Endpoint {
  /** What a load generator is pointed at: http://127.0.0.1:P/file, redis://127.0.0.1:P, memcached://… */
  url: string;
  host: string;
  port: number;
  /** HTTPS: the certificate the server must present (PEM), which is all the lab trusts there. */
  ca?: string;
}

export interface ProtocolModule {
  kind: ProtocolKind;
  /** Create what the server will serve, inside `dir` (once per run: every point serves the same). */
  prepare(dir: string, settings: ProtocolSettings): Dataset;
  /** `address`: where the server listens (default 127.0.0.1; another host's address when it runs elsewhere). */
  endpoint(port: number, dataset: Dataset, address?: string): Endpoint;
  /** Resolves once the server answers a request of this protocol correctly; rejects when `alive()` turns false or after `timeoutMs`. */
  waitReady(endpoint: Endpoint, dataset: Dataset, timeoutMs: number, alive: () => boolean): Promise<void>;
  /** One request (or exchange) through the server after the load, compared with what it must return. */
  checkAfter(endpoint: Endpoint, dataset: Dataset, timeoutMs: number): Promise<AfterCheck>;
}

/** Poll `attempt` until it resolves; fail early when `alive()` turns false, and after `timeoutMs`. */
export async function pollUntilReady(what: string, timeoutMs: number, alive: () => boolean, attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the server exited before it answered');
    try {
      await attempt();
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the server did not answer ${what} within ${timeoutMs} ms (last: ${last})`);
}

export const emptyDataset: Dataset = { docRoot: null, fileName: null, bodyFile: null, sha256: null };
