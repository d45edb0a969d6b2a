// The host-side CPU reader on this machine (LocalHost): a child that burns CPU in a thread for a
// while is counted, through the Host interface, as what its own /proc says, within a tick per thread.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseStat } from '../runner/procfs';
import { hostCpuBetween, readHostCpu } from './cpu';
import { LocalHost } from './local';

const dir = mkdtempSync(join(tmpdir(), 'saio-host-cpu-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ticksOf = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).reduce((n, tid) => {
    const st = parseStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    return n + st.utime + st.stime;
  }, 0);

test('readHostCpu through LocalHost: a busy server thread counts as its /proc ticks say; readings of two hosts refuse to mix', async () => {
  const host = new LocalHost(dir);
  // Busy for ~0.4 s of CPU, then idle until killed (bounded: 10 s).
  const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end); setTimeout(() => {}, 10000);'], { stdio: 'ignore' });
  try {
    const pid = child.pid as number;
    const before = await readHostCpu(host, [{ pid, role: 'server' }]);
    const base = ticksOf(pid);
    await new Promise((r) => setTimeout(r, 700));
    const afterReading = await readHostCpu(host, [{ pid, role: 'server' }]);
    const want = (ticksOf(pid) - base) / 100;
    const got = hostCpuBetween(before, afterReading);
    assert.ok(Math.abs(got.server - want) <= 0.03, `server ${got.server} s, /proc ${want} s`);
    assert.ok(got.server > 0.1, `the busy loop was counted (${got.server} s)`);
    assert.equal(got.loadgen + got['saio-kworker'] + got.sqpoll + got['io-wq'], 0);
    assert.equal(afterReading.threads[0]?.pid, pid);
    assert.throws(() => hostCpuBetween(before, { ...afterReading, host: 'srv' }), /ticks of different kernels do not mix/);
  } finally {
    child.kill('SIGKILL');
  }
});
