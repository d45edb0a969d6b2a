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

test('HostPlacementSampler on LocalHost sees the same threads as the runner\'s own PlacementSampler', async () => {
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
