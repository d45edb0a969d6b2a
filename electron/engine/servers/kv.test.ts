// redis and memcached as the lab runs them: from their modules' command lines, on a free
// 127.0.0.1 port, under every backend the host offers; ready by their protocol's request,
// `workers` really is their thread count, and the protocol's after-load check passes — while a
// deliberately wrong server (a stale or corrupted value) fails it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { backendModule } from '../backends/registry';
import { defaultProtocolSettings } from '../common/protocols/catalog';
import { protocolModule } from '../protocols/registry';
import { parseReplies } from '../protocols/redis';
import { freePort } from '../runner/net';
import { RunningProcess } from '../runner/processes';
import { processesInGroup } from '../runner/procfs';
import { serverModule } from './registry';

const dir = mkdtempSync(join(tmpdir(), 'saio-kv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Threads of every process of the group, by name. */
function threads(pgrp: number): string[] {
  return processesInGroup(pgrp).flatMap((pid) => {
    try {
      return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      return [];
    }
  });
}

async function serve(kind: 'redis' | 'memcached', backend: string, workers: number, name: string) {
  const server = serverModule(kind);
  const protocol = protocolModule(server.protocol);
  const runDir = join(dir, name);
  mkdirSync(runDir, { recursive: true });
  const port = await freePort();
  const dataset = protocol.prepare(runDir, defaultProtocolSettings(server.protocol));
  const cell = { kmod: undefined } as never;
  const launch = backendModule(backend).wrap(server.launch({ runDir, port, workers, extraConfig: '', protocol: defaultProtocolSettings(server.protocol), dataset }), { pointDir: runDir, cell });
  for (const f of launch.files) writeFileSync(f.path, f.content);
  const proc = await RunningProcess.start({ role: 'server', argv: launch.argv, env: launch.env, stdoutPath: join(runDir, 'out'), stderrPath: join(runDir, 'err') });
  const endpoint = protocol.endpoint(port, dataset);
  try {
    await protocol.waitReady(endpoint, dataset, 10_000, () => proc.running);
  } catch (e) {
    await proc.stop(launch.stopSignal, 2000);
    throw new Error(`${(e as Error).message}; stderr: ${readFileSync(join(runDir, 'err'), 'utf8').slice(-300)}`, { cause: e });
  }
  return { proc, endpoint, dataset, protocol, stop: () => proc.stop(launch.stopSignal, 5000) };
}

for (const kind of ['redis', 'memcached'] as const) {
  describe(kind, () => {
    for (const backend of ['baseline', 'saio-sync', 'saio-uring']) {
      test(`under ${backend}: ready, checked after a SET and GET through it, stopped cleanly`, async (t) => {
        const why = backendModule(backend).unavailable();
        if (why) return t.skip(why);
        const s = await serve(kind, backend, 1, `${kind}-${backend}`);
        try {
          const check = await s.protocol.checkAfter(s.endpoint, s.dataset, 5000);
          assert.equal(check.ok, true, JSON.stringify(check));
          assert.equal(check.found, check.expected);
          // The library really is in the server (not just in its environment).
          assert.equal(/libsaio\.so/.test(readFileSync(`/proc/${s.proc.pid}/maps`, 'utf8')), backend !== 'baseline');
        } finally {
          const stop = await s.stop();
          assert.equal(stop.forced, false, `${kind} stopped on its stop signal`);
        }
        assert.deepEqual(processesInGroup(s.proc.pid), []);
      });
    }

    test('workers set its threads (redis io-threads, memcached -t)', async () => {
      const one = await serve(kind, 'baseline', 1, `${kind}-w1`);
      const four = await serve(kind, 'baseline', 4, `${kind}-w4`);
      try {
        const pattern = kind === 'redis' ? /^io_thd_/ : /^mc-worker$/;
        const count = (pg: number) => threads(pg).filter((n) => pattern.test(n)).length;
        // redis's main thread is I/O thread 0; io-threads 4 adds io_thd_1..3.
        assert.deepEqual([count(one.proc.pid), count(four.proc.pid)], kind === 'redis' ? [0, 3] : [1, 4], threads(four.proc.pid).join(','));
      } finally {
        await one.stop();
        await four.stop();
      }
    });
  });
}

/** A server that answers the protocol, but with the wrong value: what the after-load check must catch. */
function wrongServer(answer: (request: string) => string | null): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      let got = '';
      socket.on('data', (b) => {
        got += b.toString('latin1');
        const reply = answer(got);
        if (reply !== null) socket.end(Buffer.from(reply, 'latin1'));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

test('redis after-load check: a stale value (another key’s), a flipped byte and garbage are caught; the reply parser handles partial input', async () => {
  const redis = protocolModule('redis');
  const stale = await wrongServer((req) => (req.includes('DEL') ? `+OK\r\n$5\r\nstale\r\n:1\r\n` : null));
  const flip = await wrongServer((req) => {
    const m = /\$1024\r\n([\s\S]{1024})\r\n/.exec(Buffer.from(req, 'latin1').toString('latin1'));
    if (!m || !req.includes('DEL')) return null;
    const v = Buffer.from(m[1]!, 'latin1');
    v[512] = (v[512] ?? 0) ^ 1;
    return `+OK\r\n$1024\r\n${v.toString('latin1')}\r\n:1\r\n`;
  });
  const garbage = await wrongServer(() => 'HTTP/1.1 400 Bad Request\r\n\r\n');
  try {
    for (const s of [stale, flip, garbage]) {
      const check = await redis.checkAfter({ url: `redis://127.0.0.1:${s.port}`, host: '127.0.0.1', port: s.port }, redis.prepare(dir, defaultProtocolSettings('redis')), 3000);
      assert.equal(check.ok, false);
      assert.notEqual(check.found, check.expected);
      if (s !== garbage) assert.match(check.found ?? '', /^\+OK, [0-9a-f]{64}|^\+OK, 5 bytes/);
    }
  } finally {
    stale.server.close();
    flip.server.close();
    garbage.server.close();
  }
  assert.equal(parseReplies(Buffer.from('+OK\r\n$3\r\nab'), 2), null, 'a bulk reply cut short is not complete');
  assert.deepEqual(parseReplies(Buffer.from('-ERR no\r\n$-1\r\n:0\r\n'), 3), [
    { type: 'error', text: 'ERR no' },
    { type: 'bulk', value: null },
    { type: 'integer', value: 0 },
  ]);
});

test('memcached after-load check: a short value and an error reply are caught without waiting for the timeout', async () => {
  const mc = protocolModule('memcached');
  const short = await wrongServer((req) => {
    const key = /get (\S+)\r\n/.exec(req)?.[1];
    return key && req.includes('delete') ? `STORED\r\nVALUE ${key} 0 3\r\nabc\r\nEND\r\nDELETED\r\n` : null;
  });
  const refuses = await wrongServer((req) => (req.includes('\r\n') ? 'SERVER_ERROR out of memory storing object\r\n' : null));
  try {
    for (const s of [short, refuses]) {
      const t0 = Date.now();
      const check = await mc.checkAfter({ url: `memcached://127.0.0.1:${s.port}`, host: '127.0.0.1', port: s.port }, mc.prepare(dir, defaultProtocolSettings('memcached')), 4000);
      assert.equal(check.ok, false, JSON.stringify(check));
      assert.ok(Date.now() - t0 < 3000, 'answered, not timed out');
    }
  } finally {
    short.server.close();
    refuses.server.close();
  }
});
