// A port the lab picked but another SO_REUSEPORT listener holds (a second lab's nginx, started
// between our lookup and our bind): with real nginx on both sides and real sockets, the kernel
// would spread our load over both listeners. The lab must notice after its server is ready, move
// to another port, and say clearly when it cannot.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ProgressEvent } from '../model';
import type { ExperimentCell } from '../common/notebook/schema';
import { oneCellNotebook, validNotebook } from '../notebook/fixture';
import { createNotebook, loadRevision } from '../notebooks';
import { Store } from '../store/store';
import { freePort } from './net';
import { processesInGroup } from './procfs';
import { runCell } from './runner';

const dir = mkdtempSync(join(tmpdir(), 'saio-port-owner-'));
let foreign: ChildProcess;
let foreignPort = 0;
const foreignLog = join(dir, 'foreign', 'access.log');
const started: ChildProcess[] = [];

/** "The other lab": nginx with reuseport on `port`, answering every path with a text of its own. */
async function startForeignNginx(port: number, name = 'foreign'): Promise<ChildProcess> {
  const root = join(dir, name);
  const log = join(root, 'access.log');
  mkdirSync(root, { recursive: true });
  const p = (n: string) => join(root, n);
  const user = process.getuid?.() === 0 ? 'user root root;\n' : '';
  writeFileSync(
    p('nginx.conf'),
    `daemon off;\nmaster_process on;\n${user}worker_processes 1;\npid ${p('nginx.pid')};\nerror_log ${p('error.log')} warn;\n` +
      `events { worker_connections 1024; }\n` +
      // Each request with its Connection header: the lab's readiness and after-checks say "close", its load does not.
      `http {\n  log_format foreign '$request $http_connection';\n  access_log ${log} foreign;\n  client_body_temp_path ${p('t1')};\n  proxy_temp_path ${p('t2')};\n  fastcgi_temp_path ${p('t3')};\n  uwsgi_temp_path ${p('t4')};\n  scgi_temp_path ${p('t5')};\n` +
      `  server {\n    listen 127.0.0.1:${port} reuseport;\n    location / { return 200 "not the lab's file\\n"; }\n  }\n}\n`,
  );
  const child = spawn('nginx', ['-p', root, '-c', p('nginx.conf'), '-e', p('error.log')], { detached: true, stdio: 'ignore' });
  started.push(child);
  // Listening once it logged a probe of ours (another listener on the port may answer some).
  for (let i = 0; i < 200; i++) {
    await fetch(`http://127.0.0.1:${port}/probe`, { headers: { connection: 'close' } }).then(
      (r) => r.text(),
      () => '',
    );
    if (existsSync(log) && readFileSync(log, 'utf8').includes('GET /probe')) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the foreign nginx did not answer on ${port}: ${existsSync(p('error.log')) ? readFileSync(p('error.log'), 'utf8') : ''}`);
}

before(async () => {
  foreignPort = await freePort();
  foreign = await startForeignNginx(foreignPort);
});

after(async () => {
  // Only the groups this test started.
  for (const c of started) {
    if (!c.pid) continue;
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    for (let i = 0; i < 100 && processesInGroup(c.pid).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Load requests the foreign nginx answered: not this test's probes, nor the lab's one-shot checks
 * (readiness may meet the foreign listener before the lab's nginx has bound; the owner check after
 * it is what must catch that).
 */
function foreignRequests(log = foreignLog): number {
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l && !l.includes('GET /probe') && !l.endsWith(' close')).length;
}

async function run(store: Store, name: string, ports: (address: string) => Promise<number>, cellOver: Record<string, unknown> = {}, onProgress?: (e: ProgressEvent) => void) {
  const doc = validNotebook(
    oneCellNotebook(
      { id: 'exp', server: { kind: 'nginx', workers: 1 }, protocol: { kind: 'http', file_size: 4096 }, driver: { kind: 'wrk' }, sweep: { connections: [4] }, warmup_s: 0, ...cellOver },
      'port owner test',
    ),
  );
  const { notebook, revision } = createNotebook(store, name, doc);
  const cell = loadRevision(store, revision.id).cells[0] as ExperimentCell;
  return runCell(store, { notebookId: notebook.id, revisionId: revision.id, cell, quick: false, runsDir: join(dir, 'runs'), freePort: ports, onProgress });
}

test('a port another reuseport listener holds is given up: the load reaches only the lab’s nginx', async () => {
  const store = new Store(join(dir, 'moved.db'));
  const before = foreignRequests();
  let offered = 0;
  // The first port offered is the foreign one (as when the other lab bound it after our lookup).
  const r = await run(store, 'moved', async () => (offered++ === 0 ? foreignPort : freePort()));
  const [p] = store.listPoints(r.id);
  assert.equal(foreignRequests() - before, 0, `the foreign listener answered ${foreignRequests() - before} of the lab's requests`);
  assert.equal(r.status, 'ok', r.reason ?? '');
  assert.equal(p?.verified, true, p?.reason ?? '');
  const conf = store.listArtifacts(r.id).find((a) => a.name === 'nginx.conf');
  const port = Number(/listen 127\.0\.0\.1:(\d+)/.exec(store.artifactContent(conf!.id)!.toString())?.[1]);
  assert.notEqual(port, foreignPort);
  assert.ok(offered >= 2, 'a second port was asked for');
  assert.ok(
    p?.warnings.some((w) => w.includes(`127.0.0.1:${foreignPort}`) && w.includes(String(foreign.pid))),
    JSON.stringify(p?.warnings),
  );
  assert.equal(store.openProcesses(r.id).length, 0, 'the server on the shared port was stopped');
  store.close();
});

test('when every port offered is held by another listener, the point fails in one line naming it', async () => {
  const store = new Store(join(dir, 'held.db'));
  const before = foreignRequests();
  const r = await run(store, 'held', async () => foreignPort);
  const [p] = store.listPoints(r.id);
  assert.equal(p?.status, 'failed');
  assert.equal(foreignRequests() - before, 0, 'no load was sent while the port was shared');
  const reason = p?.reason ?? '';
  assert.doesNotMatch(reason, /\n/);
  assert.match(reason, new RegExp(`127\\.0\\.0\\.1:${foreignPort}`));
  assert.match(reason, new RegExp(`pid ${foreign.pid} \\(nginx\\)`));
  assert.match(reason, /SO_REUSEPORT/);
  assert.match(reason, /stop it|another/);
  assert.equal(store.openProcesses(r.id).length, 0);
  store.close();
});

test('redis (no SO_REUSEPORT) on a held port cannot bind it: moved to another port too, not failed', async () => {
  const store = new Store(join(dir, 'redis.db'));
  let offered = 0;
  const r = await run(store, 'redis', async () => (offered++ === 0 ? foreignPort : freePort()), {
    server: { kind: 'redis' },
    protocol: { kind: 'redis', keys: 100 },
    driver: { kind: 'saio-load' },
  });
  const [p] = store.listPoints(r.id);
  assert.equal(r.status, 'ok', r.reason ?? '');
  assert.equal(p?.verified, true, p?.reason ?? '');
  assert.ok(
    p?.warnings.some((w) => w.includes(`127.0.0.1:${foreignPort}`)),
    JSON.stringify(p?.warnings),
  );
  assert.equal(store.openProcesses(r.id).length, 0);
  store.close();
});

test('a stranger that binds the port during the measurement fails the point: its numbers are not the server’s', async (t) => {
  const store = new Store(join(dir, 'late.db'));
  let port = 0;
  let late: Promise<ChildProcess> | null = null;
  // New connection per request, so connections made after the stranger bound can reach it.
  const r = await run(
    store,
    'late',
    async () => (port = await freePort()),
    { protocol: { kind: 'http', file_size: 4096, keep_alive: false }, duration_s: 3 },
    (e) => {
      if (e.phase === 'measure' && late === null) late = startForeignNginx(port, 'late');
    },
  );
  assert.ok(late, 'the measurement began');
  const stranger = await (late as unknown as Promise<ChildProcess>);
  const [p] = store.listPoints(r.id);
  // Here every request of the lab says "Connection: close": count all but the stranger's own probes.
  const took = readFileSync(join(dir, 'late', 'access.log'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.includes('GET /probe')).length;
  t.diagnostic(`the stranger answered ${took} of the lab's requests; reason: ${p?.reason}`);
  assert.equal(p?.status, 'failed');
  assert.doesNotMatch(p?.reason ?? '', /\n/);
  assert.match(p?.reason ?? '', new RegExp(`127\\.0\\.0\\.1:${port} was also listened on by pid ${stranger.pid} \\(nginx\\).*by the end of the measurement`));
  assert.equal(store.openProcesses(r.id).length, 0);
  store.close();
});
