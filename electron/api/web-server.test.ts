// Web mode: the token, static files (and traversal refused), POST /api round trips, Server-Sent
// Events, the CSP; the browser client against the real server; `saio-lab serve` as a process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Lab } from '../engine/lab';
import { repoRoot } from '../engine/paths';
import { Store } from '../engine/store/store';
import type { LabEvent } from './contract';
import { createHandlers } from './handlers';
import { JobManager } from './jobs';
import { CSP } from './static-files';
import { createWebClient, type EventSourceLike } from './web-client';
import { startWebServer, type WebServer } from './web-server';

const dir = mkdtempSync(join(tmpdir(), 'saio-web-'));
const root = join(dir, 'renderer');
let lab: Lab;
let jobs: JobManager;
let server: WebServer;

before(async () => {
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>lab</title><script src="/assets/app.js"></script>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
  lab = new Lab(join(dir, 'lab.db'));
  jobs = new JobManager(lab);
  server = await startWebServer({ handlers: createHandlers(lab, jobs), jobs, staticDir: root, log: () => {} });
});
after(async () => {
  await server.close();
  lab.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request: the path goes on the wire exactly as written (fetch would normalise it). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = () => ({ 'X-SAIO-Lab-Token': server.token });
const api = (method: string, input: unknown, headers: Record<string, string> = auth()) => raw('POST', `/api/${method}`, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(input));

test('the printed URL and the token: random, base64url, 32 characters', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  assert.equal(server.url, `${server.origin}/?token=${server.token}`);
});

test('without the token every route is 401; a wrong token too', async () => {
  for (const path of ['/', '/index.html', '/assets/app.js', '/api/events', '/nope']) {
    assert.equal((await raw('GET', path)).status, 401, path);
  }
  assert.equal((await api('notebooks.list', {}, {})).status, 401);
  assert.equal((await api('notebooks.list', {}, { 'X-SAIO-Lab-Token': `${server.token.slice(1)}x` })).status, 401);
  assert.equal((await raw('GET', '/?token=wrong')).status, 401);
  assert.equal((await raw('GET', '/', { Cookie: `${server.cookieName}=wrong` })).status, 401);
});

test('the page load trades the token in the URL for a cookie, then the cookie opens everything', async () => {
  const first = await raw('GET', `/?token=${server.token}`);
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^${server.cookieName}=${server.token}; HttpOnly; SameSite=Strict; Path=/`));
  const page = await raw('GET', '/', { Cookie: `${server.cookieName}=${server.token}` });
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>lab<\/title>/);
  const r = await api('experiments.shipped', {}, { Cookie: `${server.cookieName}=${server.token}` });
  assert.equal(r.status, 200);
  assert.ok(JSON.parse(r.body).ok);
  // Bearer works too.
  assert.equal((await api('runs.jobs', {}, { Authorization: `Bearer ${server.token}` })).status, 200);
});

test('static files: content types, the CSP header, 404 for what is not there', async () => {
  const cases: [string, string][] = [
    ['/', 'text/html; charset=utf-8'],
    ['/index.html', 'text/html; charset=utf-8'],
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'text/css; charset=utf-8'],
    ['/assets/logo.svg', 'image/svg+xml'],
  ];
  for (const [path, type] of cases) {
    const r = await raw('GET', path, auth());
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.equal(r.headers['content-security-policy'], CSP, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  }
  assert.equal(CSP, "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'");
  const head = await raw('HEAD', '/assets/app.js', auth());
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  for (const path of ['/missing.js', '/assets', '/assets/', '/api']) assert.equal((await raw('GET', path, auth())).status, 404, path);
  assert.equal((await raw('GET', '/missing', auth())).headers['content-security-policy'], CSP, 'errors carry the CSP too');
  assert.equal((await raw('DELETE', '/index.html', auth())).status, 405);
});

test('directory traversal is refused, however it is spelled', async () => {
  const attempts = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/index.html%00.js',
    '/assets/link.txt',
    '/.env',
    `/${'..%2f'.repeat(8)}etc/passwd`,
    '/%',
    '//etc/passwd',
  ];
  for (const path of attempts) {
    const r = await raw('GET', path, auth());
    assert.ok([400, 404].includes(r.status), `${path}: ${r.status}`);
    assert.ok(!r.body.includes('do not serve') && !r.body.includes('root:'), path);
  }
});

test('POST /api/<method>: a JSON Result both ways; transport problems have their own status', async () => {
  const created = await api('notebooks.create', { name: 'web', from: 'quickstart.json' });
  assert.equal(created.status, 200);
  assert.equal(created.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(JSON.parse(created.body).value.notebook.name, 'web');
  const list = JSON.parse((await api('notebooks.list', {})).body);
  assert.equal(list.value[0].name, 'web');

  const bad = JSON.parse((await api('notebooks.get', { ref: 5 })).body);
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, 'invalid_input');
  assert.equal(bad.error.errors[0].path, 'ref');
  const missing = JSON.parse((await api('notebooks.get', { ref: 'nope' })).body);
  assert.equal(missing.error.code, 'not_found');
  const unknown = JSON.parse((await api('no.such', {})).body);
  assert.match(unknown.error.message, /unknown method/);

  assert.equal((await raw('POST', '/api/notebooks.list', { ...auth(), 'Content-Type': 'application/json' }, '{nope')).status, 400);
  assert.equal((await raw('POST', '/api/notebooks.list', { ...auth(), 'Content-Type': 'text/plain' }, '{}')).status, 415);
  assert.equal((await raw('GET', '/api/notebooks.list', auth())).status, 405);
  assert.equal((await api('notebooks.list', {}, { ...auth(), Origin: 'http://127.0.0.1:1' })).status, 403, 'another local origin');
  assert.equal((await api('notebooks.list', {}, { ...auth(), Origin: server.origin })).status, 200);
  assert.equal((await raw('GET', '/', { ...auth(), Host: 'evil.example:80' })).status, 421, 'DNS rebinding');
});

test('request bodies are capped', async () => {
  const small = await startWebServer({ handlers: createHandlers(lab, jobs), jobs, staticDir: root, maxBodyBytes: 1000, log: () => {} });
  try {
    const body = JSON.stringify({ data_base64: 'A'.repeat(2000) });
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: small.port, method: 'POST', path: '/api/bundles.import', headers: { 'X-SAIO-Lab-Token': small.token, 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body); // chunked: no Content-Length, counted as it arrives
    });
    assert.equal(r, 413);
  } finally {
    await small.close();
  }
});

/** A small EventSource for Node (v20 has none): GET with the token header, `data:` lines parsed. */
function nodeEventSource(url: string): EventSourceLike {
  const es: EventSourceLike = { onmessage: null, onerror: null, close: () => req.destroy() };
  const req = request(url, { headers: auth() }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data) es.onmessage?.({ data });
      }
    });
  });
  req.on('error', (e) => es.onerror?.(e));
  req.end();
  return es;
}

test('GET /api/events streams LabEvents as Server-Sent Events', async () => {
  const r = await new Promise<{ headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: auth() }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (text.includes('"command":"run"')) {
          req.destroy();
          resolve({ headers: res.headers, text });
        }
      });
    });
    req.on('error', reject);
    req.end();
    setTimeout(() => jobs.publish({ type: 'menu', command: 'run' }), 200);
  });
  assert.equal(r.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(r.headers['content-security-policy'], CSP);
  assert.match(r.text, /^retry: 2000\n\n/);
  assert.match(r.text, /data: \{"type":"menu","command":"run"\}\n\n/);
});

test('the browser client (web-client.ts) against the server: calls and events', async () => {
  const client = createWebClient({ baseUrl: server.origin, token: server.token, eventSource: nodeEventSource });
  const shipped = await client.call('experiments.shipped', {});
  assert.ok(shipped.ok && shipped.value.some((s) => s.file === 'quickstart.json'));
  const bad = await client.call('notebooks.get', { ref: '' });
  assert.ok(!bad.ok && bad.error.code === 'invalid_input');
  const events: LabEvent[] = [];
  const unsubscribe = client.subscribe((e) => events.push(e));
  await new Promise((r) => setTimeout(r, 200));
  jobs.publish({ type: 'menu', command: 'export' });
  for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  unsubscribe();
  assert.deepEqual(events, [{ type: 'menu', command: 'export' }]);

  const noToken = createWebClient({ baseUrl: server.origin });
  const refused = await noToken.call('runs.jobs', {});
  assert.ok(!refused.ok && /not authorised/.test(refused.error.message));
  const down = createWebClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' });
  const unreachable = await down.call('runs.jobs', {});
  assert.ok(!unreachable.ok && /not reachable/.test(unreachable.error.message));
});

test('`saio-lab serve`: URL first on stdout; SIGTERM cancels the run in flight, records it, exits 0', async () => {
  const db = join(dir, 'serve.db');
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'saio-lab.js'), '--db', db, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32})$/.exec(url);
    assert.ok(m, url);
    const client = createWebClient({ baseUrl: `http://127.0.0.1:${m[1]}`, token: m[2] });
    const created = await client.call('notebooks.create', {
      name: 'slow',
      content: {
        format: 'saio-lab/notebook@1',
        title: 'slow',
        cells: [
          {
            id: 'e',
            type: 'experiment',
            server: { kind: 'nginx', file_size: 1024 },
            backends: ['baseline'],
            driver: { kind: 'wrk' },
            sweep: { connections: [4, 8] },
            duration_s: 5,
            warmup_s: 1,
            repeats: 1,
          },
        ],
      },
    });
    assert.ok(created.ok, JSON.stringify(created));
    const started = await client.call('runs.start', { ref: 'slow' });
    assert.ok(started.ok, JSON.stringify(started));
    // Wait until the load is on.
    for (let i = 0; i < 100; i++) {
      const jobsNow = await client.call('runs.jobs', {});
      if (jobsNow.ok && jobsNow.value[0]?.last_progress?.phase === 'measure') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  } finally {
    child.kill('SIGKILL');
  }
  assert.match(stderr, /SIGTERM: cancelling job/);
  const store = new Store(db);
  try {
    const runs = store.runsInState('cancelled');
    assert.equal(runs.length, 1, 'the run in flight was recorded as cancelled');
    assert.equal(store.runsInState('running').length, 0);
    assert.equal(store.openProcesses(runs[0]!.id).length, 0, 'nginx and wrk were stopped');
  } finally {
    store.close();
  }
});
