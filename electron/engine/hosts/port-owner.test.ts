// The parts of the port-owner check that read kernel text: /proc/net/tcp{,6} rows, and the remote
// listing of a process's socket fds through every shell an SSH host may have (and busybox's ls).
// The check itself against real listeners on each kind of host is in contract.ts.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { socketInodesOf } from '../runner/procfs';
import { canonicalAddress, parseListeners, sameTraffic } from './port-owner';
import { parseSocketListing, socketsScript } from './remote-sh';

const dir = mkdtempSync(join(tmpdir(), 'saio-port-owner-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAD4 = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (sl: number, local: string, st: string, uid: number, inode: number) =>
  `  ${sl}: ${local} ${'0'.repeat(local.length - 5)}:0000 ${st} 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1 00000000bd3ae45b 100 0 0 10 0`;

test('LISTEN rows of tcp and tcp6: addresses decoded (wildcards, IPv4-mapped), other states left out', () => {
  const tcp = [HEAD4, row(0, '0100007F:AF8D', '0A', 0, 111), row(1, '00000000:07E8', '0A', 1000, 222), row(2, '0100007F:AF8D', '01', 0, 333)].join('\n');
  assert.deepEqual(parseListeners(tcp), [
    { address: '127.0.0.1', port: 0xaf8d, uid: 0, inode: 111 },
    { address: '0.0.0.0', port: 2024, uid: 1000, inode: 222 },
  ]);
  const tcp6 = [
    HEAD4,
    row(0, '00000000000000000000000001000000:1F90', '0A', 0, 444),
    row(1, '00000000000000000000000000000000:1F90', '0A', 0, 555),
    row(2, '0000000000000000FFFF00000100007F:1F90', '0A', 0, 666),
    row(3, '000080FE00000000FF005452010000FE:0050', '0A', 0, 777),
  ].join('\n');
  assert.deepEqual(
    parseListeners(tcp6).map((l) => `${l.address} ${l.port} ${l.inode}`),
    ['::1 8080 444', ':: 8080 555', '127.0.0.1 8080 666', 'fe80::5254:ff:fe00:1 80 777'],
  );
});

test('the real tables list a listener of this process, with the inode its fd links to', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  try {
    const { readFileSync } = await import('node:fs');
    const mine = parseListeners(readFileSync('/proc/self/net/tcp', 'utf8')).filter((l) => l.port === port);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.address, '127.0.0.1');
    assert.ok(socketInodesOf(process.pid)?.includes(mine[0]?.inode as number));
  } finally {
    srv.close();
  }
});

test('which listeners take traffic meant for an address: same one or a wildcard on either side', () => {
  assert.ok(sameTraffic('127.0.0.1', '127.0.0.1'));
  assert.ok(sameTraffic('0.0.0.0', '127.0.0.1'));
  assert.ok(sameTraffic('::', '127.0.0.1'));
  assert.ok(sameTraffic('10.0.0.2', '0.0.0.0'));
  assert.ok(sameTraffic('0:0:0:0:0:0:0:1', '::1'));
  assert.ok(!sameTraffic('10.0.0.2', '127.0.0.1'));
  assert.ok(!sameTraffic('::1', '127.0.0.1'));
  assert.equal(canonicalAddress('[fe80:0:0:0:5254:ff:fe00:1]'), 'fe80::5254:ff:fe00:1');
});

test('the remote socket listing through sh, dash, bash and busybox (with busybox ls too)', async () => {
  // A process of known sockets: a node listener, run apart so its fds are its own.
  const child = spawn(process.execPath, ['-e', "require('net').createServer().listen(0,'127.0.0.1',()=>console.log('up'));setTimeout(()=>{},60000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    const pid = child.pid as number;
    const expected = socketInodesOf(pid);
    assert.ok(expected && expected.length >= 1);
    const bbBin = join(dir, 'busybox-bin');
    mkdirSync(bbBin, { recursive: true });
    if (existsSync('/usr/bin/busybox') && !existsSync(join(bbBin, 'ls'))) symlinkSync('/usr/bin/busybox', join(bbBin, 'ls'));
    const shells: [string, string[], string?][] = [
      ['/bin/sh', []],
      ['/bin/dash', []],
      ['/bin/bash', []],
      ...(existsSync('/usr/bin/busybox')
        ? ([
            ['/usr/bin/busybox', ['sh']],
            ['/usr/bin/busybox', ['sh'], bbBin],
          ] as [string, string[], string][])
        : []),
    ];
    for (const [shell, args, path] of shells) {
      // A gone pid and a pid that is not a number are not in the answer; a gone one is not an error.
      const out = execFileSync(shell, [...args, '-c', socketsScript([pid, 2 ** 22 + 1])], { encoding: 'utf8', env: { ...process.env, PATH: path ? `${path}:${process.env.PATH}` : process.env.PATH } });
      const got = parseSocketListing(out);
      assert.deepEqual([...got.keys()], [pid], `${shell} ${args.join(' ')} ${path ?? ''}: ${out}`);
      assert.deepEqual(got.get(pid)?.sort(), [...expected].sort(), `${shell} ${path ?? ''}`);
    }
    assert.throws(() => socketsScript([1.5]), /not a whole number/);
  } finally {
    child.kill('SIGKILL');
  }
});
