// HTTP/1.1: the server serves one file of random bytes (so a misplaced or duplicated chunk cannot
// look right); ready when a GET of it answers 200; after the load, a body fetched on a fresh
// connection must have the file's sha256.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { HTTP_AFTER_CHECK } from '../legacy/v1';
import type { AfterCheck } from '../model';
import type { ProtocolSettings } from '../common/protocols/catalog';
import { pollUntilReady, type Dataset, type Endpoint, type ProtocolModule } from './types';

export interface Fetched {
  status: number;
  sha256: string;
  bytes: number;
}

/**
 * One GET on a fresh connection; rejects on a socket error or after timeoutMs. HTTPS trusts `ca`
 * only (the run's own certificate; its name is not the address, so only the chain is checked).
 */
export function fetchSha256(url: string, timeoutMs: number, ca?: string): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const options = { method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } };
    const tls = url.startsWith('https:');
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        hash.update(b);
        bytes += b.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: hash.digest('hex'), bytes }));
      res.on('error', reject);
    };
    const req = tls ? httpsRequest(url, { ...options, ca, checkServerIdentity: () => undefined }, onResponse) : request(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * How long one full TLS handshake with the server takes, in ms (TCP connected → handshake done),
 * on a fresh connection that is then closed. The server is told nothing it keeps: no session to
 * resume (the run's server has its session cache and tickets off anyway).
 */
export function timeTlsHandshake(url: string, timeoutMs: number, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') {
      reject(new Error(`not an https URL: ${url}`));
      return;
    }
    let connectedAt = 0;
    const s = tlsConnect({ host: u.hostname, port: Number(u.port || 443), ca, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => s.destroy(new Error(`no TLS handshake with ${u.host} within ${timeoutMs} ms`)), timeoutMs);
    s.once('connect', () => (connectedAt = performance.now()));
    s.once('secureConnect', () => {
      const ms = performance.now() - (connectedAt || performance.now());
      clearTimeout(timer);
      s.destroy();
      resolve(ms);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * A certificate made for one run (ECDSA P-256, valid two days, CN saio-lab) with `openssl req`:
 * nothing is reused between runs, and nothing but the run trusts it.
 */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=saio-lab', '-keyout', key, '-out', cert], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) throw new Error(`https needs a certificate made with openssl, which failed (apt-get install openssl): ${(r.error?.message ?? r.stderr).trim().split('\n').pop()}`);
  return { cert, key };
}

function need(d: Dataset): { docRoot: string; fileName: string; bodyFile: string; sha256: string } {
  if (d.docRoot === null || d.fileName === null || d.bodyFile === null || d.sha256 === null) throw new Error('http: the dataset was not prepared');
  return { docRoot: d.docRoot, fileName: d.fileName, bodyFile: d.bodyFile, sha256: d.sha256 };
}

export const http: ProtocolModule = {
  kind: 'http',
  prepare(dir: string, settings: ProtocolSettings): Dataset {
    if (settings.kind !== 'http') throw new Error(`http: cannot prepare a ${settings.kind} dataset`);
    const docRoot = join(dir, 'docroot');
    mkdirSync(docRoot, { recursive: true });
    const fileName = `file-${settings.file_size}.bin`;
    const body = randomBytes(settings.file_size);
    const bodyFile = join(docRoot, fileName);
    writeFileSync(bodyFile, body);
    const tls = settings.tls === undefined ? null : selfSignedCertificate(join(dir, 'tls'));
    return { docRoot, fileName, bodyFile, sha256: createHash('sha256').update(body).digest('hex'), tls };
  },
  endpoint(port: number, dataset: Dataset, address = '127.0.0.1'): Endpoint {
    const tls = dataset.tls ?? null;
    return { url: `${tls ? 'https' : 'http'}://${address}:${port}/${need(dataset).fileName}`, host: address, port, ...(tls ? { ca: readFileSync(tls.cert, 'utf8') } : {}) };
  },
  waitReady(endpoint, _dataset, timeoutMs, alive) {
    // Each try may take longer than the last (1 s, 2 s, 4 s, then 4 s): a TLS handshake in a
    // loaded guest can outlast a second, and a try cut short before it ends never succeeds.
    let tryMs = 1000;
    return pollUntilReady(endpoint.url, timeoutMs, alive, async () => {
      const ms = tryMs;
      tryMs = Math.min(2 * tryMs, 4000);
      const r = await fetchSha256(endpoint.url, ms, endpoint.ca);
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    });
  },
  async checkAfter(endpoint, dataset, timeoutMs): Promise<AfterCheck> {
    const expected = need(dataset).sha256;
    let found: string | null;
    try {
      const f = await fetchSha256(endpoint.url, timeoutMs, endpoint.ca);
      found = f.status === 200 ? f.sha256 : `HTTP ${f.status}`;
    } catch {
      found = null;
    }
    return { check: HTTP_AFTER_CHECK, expected, found, ok: found === expected };
  },
};
