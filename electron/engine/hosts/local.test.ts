// LocalHost passes the host contract (the same tests as SSH hosts and guests), and its clock offset
// is zero within its own uncertainty.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostContract } from './contract';
import { LocalHost } from './local';

const dir = mkdtempSync(join(tmpdir(), 'saio-localhost-'));
const host = new LocalHost(dir);

hostContract(
  'LocalHost',
  async () => ({ host, address: '127.0.0.1', kernel: release() }),
  async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  },
);

test('LocalHost: the clock offset against itself is within its uncertainty of zero', async () => {
  const off = await host.clockOffset();
  assert.ok(Math.abs(off.offset_ms) <= off.uncertainty_ms + 1, JSON.stringify(off));
});

test("HostPlacementSampler on LocalHost sees the same threads as the runner's own PlacementSampler", async () => {
  const { PlacementSampler } = await import('../runner/sampler');
  const { HostPlacementSampler } = await import('./placement');
  const p = await host.spawn({ role: 'server', argv: ['sh', '-c', 'sleep 30 & sleep 30 & wait'], stdoutPath: join(dir, 'ps.out'), stderrPath: join(dir, 'ps.err') });
  // Both children must have exec'd sleep: a child sampled between fork and exec is still called
  // sh, and the two samplers (which look one after the other) would then disagree on its name.
  const comm = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  const settled = async (): Promise<boolean> => {
    const pids = await host.processesInGroup(p.pid);
    return pids.length === 3 && pids.filter((pid) => comm(pid) === 'sleep').length === 2;
  };
  for (let i = 0; i < 250 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(await settled(), 'the shell and its two sleeps within 5 s');
  const t0 = Date.now();
  const mine = new HostPlacementSampler(host, t0);
  const theirs = new PlacementSampler(t0);
  mine.add({ role: 'server', pgrp: p.pid });
  theirs.add({ role: 'server', pgrp: p.pid });
  await mine.sampleOnce();
  theirs.sampleOnce();
  const key = (s: { pid: number; tid: number; comm: string; role: string }) => `${s.role} ${s.pid} ${s.tid} ${s.comm}`;
  const a = mine.drain();
  assert.equal(a.length, 3);
  assert.ok(a.every((s) => s.host === 'local' && s.cpu >= 0 && s.allowed_cpus !== ''));
  assert.deepEqual(a.map(key).sort(), theirs.drain().map(key).sort());
  await p.stop('SIGKILL', 0);
});

test('HostPlacementSampler: a group that joins while a slow round is out gets a round of its own at once', { timeout: 30_000 }, async () => {
  const { HostPlacementSampler } = await import('./placement');
  // A host one second away each way (a loaded machine, a far host), sampled every 3 s.
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const far = Object.create(host) as LocalHost;
  far.sampleProcesses = async (q) => {
    await sleep(1000);
    const r = await host.sampleProcesses(q);
    await sleep(1000);
    return r;
  };
  const sampler = new HostPlacementSampler(far, Date.now(), 3000);
  sampler.start(); // round 1 goes out now and is back at 2 s, without the group
  await sleep(100);
  // A load generator that lives 1.6 s: the tick at 3 s would read /proc at 4 s, a round after the
  // one out (back at 2 s) at 3 s; its own round reads at 1.1 s.
  const p = await host.spawn({ role: 'driver', argv: ['sleep', '1.6'], stdoutPath: join(dir, 'short.out'), stderrPath: join(dir, 'short.err') });
  sampler.add({ role: 'driver', pgrp: p.pid });
  await p.exited;
  await sleep(1200);
  await sampler.stop();
  const mine = sampler.drain().filter((s) => s.pid === p.pid);
  assert.ok(mine.length >= 1, `samples of the short-lived group: ${mine.length} in ${sampler.roundCount} rounds`);
});
