// Two test runs on one machine with the same test hosts: the second run's up() waits for the first
// run's down() instead of sharing the hosts and then losing them (down of one tore the other's
// links away mid-test). A dead owner's lock is taken over; a live one past the wait fails in one line.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { down, PREFIX, SUBNET, up, type NetnsConfig } from './testing/netns';

// Beside the SSH tests' hosts (SUBNET) and the runner's (SUBNET + 1): SUBNET + 2.
const octets = SUBNET.split('.').map(Number) as [number, number, number];
const NS: NetnsConfig = { prefix: `${PREFIX}k`, subnet: `${octets[0]}.${octets[1]}.${octets[2] + 2}`, dir: `/run/${PREFIX}k-netns-hosts` };
const lockFile = `${NS.dir}.lock`;
const linkUp = () => spawnSync('ip', ['link', 'show', `${NS.prefix}-lab`]).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

after(() => down(NS));

test("a second run's up waits for the first run's down, and its hosts outlive the first run", { timeout: 240_000 }, async () => {
  // The first run: another process that holds the hosts for 4 s, then gives them back.
  const netns = join(__dirname, 'testing', 'netns.js');
  const first = spawn(process.execPath, ['-e', `const n = require(${JSON.stringify(netns)}); const cfg = ${JSON.stringify(NS)}; n.up(2, cfg); setTimeout(() => n.down(cfg), 4000);`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const firstExit = new Promise<number | null>((r) => first.on('exit', r));
  for (let i = 0; i < 600 && !linkUp(); i++) await sleep(100);
  assert.ok(linkUp(), "the first run's hosts are up");
  const t0 = Date.now();
  up(2, NS);
  const waited = Date.now() - t0;
  assert.equal(await firstExit, 0);
  assert.ok(waited >= 1000, `up returned after ${waited} ms, while the first run still held the hosts`);
  assert.ok(linkUp(), "this run's hosts are still here after the first run's down");
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  down(NS);
  assert.equal(existsSync(lockFile), false, 'down gives the hosts back');
});

test("a dead run's lock is taken over; a live one past the wait is one clear line", { timeout: 120_000 }, () => {
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(lockFile, dead.stdout);
  up(2, NS);
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(process.pid));
  down(NS);
  // A live owner (this test's parent process stands in for another test run) and a short wait.
  writeFileSync(lockFile, `${process.ppid}\n`);
  const netns = join(__dirname, 'testing', 'netns.js');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(netns)}).up(2, ${JSON.stringify(NS)})`], {
    encoding: 'utf8',
    env: { ...process.env, SAIO_TEST_NETNS_WAIT_MS: '1500' },
    timeout: 60_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(
    r.stderr,
    new RegExp(
      `test hosts ${NS.prefix} \\(${NS.subnet.replace(/\./g, '\\.')}\\.0/24\\) are still in use by pid ${process.ppid} after 1\\.5 s: wait for that test run, or give this one its own with SAIO_TEST_NETNS_PREFIX and SAIO_TEST_NETNS_SUBNET`,
    ),
  );
  assert.equal(readFileSync(lockFile, 'utf8').trim(), String(process.ppid), "the other run's lock is left alone");
  rmSync(lockFile);
  assert.equal(linkUp(), false);
});
