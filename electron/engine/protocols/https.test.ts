// HTTPS on the lab's side: a certificate made per run (two runs never share one), the endpoint's
// https:// URL carrying it as the only thing trusted there, the readiness and after-load checks
// passing against a server presenting it and failing against one presenting another.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fetchSha256, http, timeTlsHandshake } from './http';

const dir = mkdtempSync(join(tmpdir(), 'saio-https-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function serve(cert: string, key: string, body: Buffer): Promise<{ port: number; close: () => void }> {
  const s = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => res.end(body));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as AddressInfo).port, close: () => s.close() };
}

test('https: a certificate per run, the endpoint trusts only it; plain http stays http', async () => {
  const a = http.prepare(join(dir, 'a'), { kind: 'http', file_size: 2048, keep_alive: true, tls: 'on' });
  const b = http.prepare(join(dir, 'b'), { kind: 'http', file_size: 2048, keep_alive: true, tls: 'ktls' });
  assert.ok(a.tls && b.tls);
  assert.notEqual(readFileSync(a.tls.cert, 'utf8'), readFileSync(b.tls.cert, 'utf8'), 'each run makes its own');
  assert.ok(!a.tls.key.startsWith(a.docRoot as string), 'the key is not served');
  const plain = http.prepare(join(dir, 'c'), { kind: 'http', file_size: 16, keep_alive: true });
  assert.equal(plain.tls, null);
  assert.match(http.endpoint(8080, plain).url, /^http:\/\/127\.0\.0\.1:8080\/file-16\.bin$/);

  const srv = await serve(a.tls.cert, a.tls.key, readFileSync(a.bodyFile as string));
  try {
    const ep = http.endpoint(srv.port, a);
    assert.match(ep.url, /^https:\/\//);
    await http.waitReady(ep, a, 5000, () => true);
    const after = await http.checkAfter(ep, a, 5000);
    assert.equal(after.ok, true);
    // The same server through an endpoint that trusts another run's certificate: refused.
    await assert.rejects(fetchSha256(ep.url, 5000, readFileSync(b.tls.cert, 'utf8')), /self[- ]signed|unable to verify|certificate/i);
  } finally {
    srv.close();
  }
});

test('https: one full handshake is timed against the run certificate, and refused against another', async () => {
  const a = http.prepare(join(dir, 'hs-a'), { kind: 'http', file_size: 16, keep_alive: true, tls: 'on' });
  const b = http.prepare(join(dir, 'hs-b'), { kind: 'http', file_size: 16, keep_alive: true, tls: 'on' });
  assert.ok(a.tls && b.tls);
  const srv = await serve(a.tls.cert, a.tls.key, readFileSync(a.bodyFile as string));
  try {
    const ep = http.endpoint(srv.port, a);
    const ms = await timeTlsHandshake(ep.url, 5000, ep.ca);
    assert.ok(ms > 0 && ms < 5000, `${ms} ms`);
    await assert.rejects(timeTlsHandshake(ep.url, 5000, readFileSync(b.tls.cert, 'utf8')), /self[- ]signed|unable to verify|certificate/i);
    await assert.rejects(timeTlsHandshake(ep.url.replace('https:', 'http:'), 5000, ep.ca), /not an https URL/);
  } finally {
    srv.close();
  }
});
