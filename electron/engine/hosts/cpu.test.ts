// CPU accounting through a Host, on this machine (LocalHost): the run's CPU reader follows what
// the host starts as "server" or "driver"; cpu-burn, started so, burns in threads born after the
// baseline (one exits mid-phase), and a count of its group matches the kernel's CPU clocks of the
// process: threads by class, what exited between readings as unattributed, nothing lost; a count
// asked after its window began is picked from the readings taken then. The same over ssh is in
// ssh-netns.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HostCpuReader } from './cpu';
import { LocalHost } from './local';
import { buildBurner, burnOn, countedServerBurn, TOLERANCE_S } from './testing/cpu-burn';

const dir = mkdtempSync(join(tmpdir(), 'saio-host-cpu-'));
const host = new LocalHost(dir);
const reader = HostCpuReader.start(host, { dir, intervalMs: 50 });
after(async () => {
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a count of a server's group through LocalHost's reader matches its own CPU clocks; threads born and gone are counted", { timeout: 120_000 }, async () => {
  const burner = await burnOn(host, buildBurner(dir), ['-t', '2', '-b', '300', '-x', '200'], dir, 'server');
  try {
    const { usage: u, lateMs } = await countedServerBurn(reader, burner);
    assert.ok(u.threads.filter((t) => /^burn-\d$|^exiter$/.test(t.comm)).length >= 2, JSON.stringify(u.threads));
    assert.equal(u.loadgen_s, 0);
    assert.ok(lateMs <= 200, `baseline ${lateMs} ms after the start asked (readings every 50 ms)`);
    assert.ok(u.samples >= 3, `read while running (${u.samples} readings)`);
  } finally {
    await burner.proc.stop('SIGKILL', 2000);
  }
});

test('a count asked after its window began starts from the reading taken then; a load generator that ends keeps its last reading', { timeout: 120_000 }, async () => {
  const burner = await burnOn(host, buildBurner(dir), ['-t', '1', '-b', '300'], dir, 'driver', 'driver');
  try {
    await new Promise((r) => setTimeout(r, 300)); // the reader has seen it
    const from = Date.now();
    await burner.go();
    await new Promise((r) => setTimeout(r, 150)); // burning already
    const count = reader.count(new Map([[burner.proc.pid, 'loadgen']]), from, 0);
    const s = await burner.done();
    await new Promise((r) => setTimeout(r, 200)); // a reading sees its final numbers …
    await burner.proc.stop('SIGKILL', 2000); // … and stands once it is gone
    const u = await count.end();
    const proc = u.processes.find((p) => p.comm === 'cpu-burn');
    assert.ok(proc && proc.role === 'loadgen' && proc.exited, JSON.stringify(u.processes));
    assert.ok(Math.abs(proc.total_s - s.processCpuS) <= TOLERANCE_S, `cpu-burn ${proc.total_s} s vs its clock ${s.processCpuS} s`);
    assert.equal(u.server_s, 0);
  } finally {
    await burner.proc.stop('SIGKILL', 2000);
  }
});

test('a group the reader never saw is said, with the host', { timeout: 30_000 }, async () => {
  const count = reader.count(new Map([[4_194_305, 'server']]), Date.now(), 0);
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(count.end(), /^Error: local: process group 4194305 \(server\) was not seen there in the measured window: nothing to account$/);
});
