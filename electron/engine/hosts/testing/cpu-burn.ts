// runner/testdata/cpu-burn.c started on any Host, for the tests of CPU accounting there: it
// burns a known amount of CPU in named threads (one exits mid-phase) once told to, and reports
// what it burned by the kernel's own CPU clocks. Its "go" is a file the test creates (a Host
// gives a program no stdin), so the account's baseline is always read before the burn begins.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../paths';
import type { CpuUsage } from '../../runner/cpu-accounting';
import type { HostCpuReader } from '../cpu';
import type { Host, HostProcess } from '../types';

/** Compiles cpu-burn into `dir` (build-essential and liburing-dev: scripts/apt-packages.txt). */
export function buildBurner(dir: string): string {
  const out = join(dir, 'cpu-burn');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, join(repoRoot(), 'electron/engine/runner/testdata/cpu-burn.c'), '-luring', '-lpthread'], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `cannot build cpu-burn: ${cc.stderr}`);
  return out;
}

export interface RemoteBurner {
  proc: HostProcess;
  /** Tells it to burn (creates its go file there). */
  go(): Promise<void>;
  /** Its report once done: its process's CPU and what its burn threads burned (seconds). */
  done(): Promise<{ processCpuS: number; burnS: number }>;
}

const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Starts cpu-burn ARGS on `host` in a group of its own, spawned as `role` (a sh waiting for the go file, feeding its stdin); resolves once it is ready. */
export async function burnOn(host: Host, burner: string, args: readonly string[], dir: string, name: string, role = 'server'): Promise<RemoteBurner> {
  const goFile = join(dir, `${name}.go`);
  // stdin stays open after "go" (sleep) so cpu-burn does not end before it is stopped (bounded: 60 s).
  const script = 'go="$1"; burner="$2"; shift 2; { while [ ! -e "$go" ]; do sleep 0.05; done; echo go; sleep 60; } | "$burner" "$@"';
  const proc = await host.spawn({ role, argv: ['sh', '-c', script, 'cpu-burn', goFile, burner, ...args], stdoutPath: join(dir, `${name}.out`), stderrPath: join(dir, `${name}.err`) });
  await until(`cpu-burn ready on ${host.name}`, () => proc.stdout.includes('ready\n') || !proc.running);
  assert.ok(proc.running, `cpu-burn on ${host.name} ended: ${proc.stdout}`);
  return {
    proc,
    go: () => host.writeFile(goFile, 'go\n'),
    done: async () => {
      await until(`cpu-burn done on ${host.name}`, () => /^done /m.test(proc.stdout) || !proc.running);
      const m = /^done process_cpu_ms=([\d.]+) burn_ms=([\d.]+)$/m.exec(proc.stdout);
      assert.ok(m, `cpu-burn on ${host.name} said: ${proc.stdout}`);
      return { processCpuS: Number(m[1]) / 1000, burnS: Number(m[2]) / 1000 };
    },
  };
}

/** /proc's utime/stime are whole clock ticks (10 ms) per thread; a few threads, a few ticks. */
export const TOLERANCE_S = 0.05;

/**
 * A server's burn counted through `reader` — its baseline in before the burn begins — and
 * checked against cpu-burn's own CPU clocks: the process within a few ticks, the server side
 * within its shell's ticks more, the burn threads' time counted or unattributed, never lost.
 */
export async function countedServerBurn(reader: HostCpuReader, burner: RemoteBurner): Promise<{ usage: CpuUsage; lateMs: number }> {
  const count = reader.count(new Map([[burner.proc.pid, 'server']]), Date.now(), 0);
  await count.started;
  await burner.go();
  const s = await burner.done();
  const u = await count.end();
  const where = reader.host.name;
  const proc = u.processes.find((p) => p.comm === 'cpu-burn');
  assert.ok(proc, `cpu-burn found in its group on ${where}: ${u.processes.map((p) => p.comm).join(', ')}`);
  assert.ok(Math.abs(proc.total_s - s.processCpuS) <= TOLERANCE_S, `${where}'s reading ${proc.total_s} s, cpu-burn's clock ${s.processCpuS} s`);
  assert.ok(u.server_s >= s.processCpuS - TOLERANCE_S && u.server_s <= s.processCpuS + 2 * TOLERANCE_S, `server side ${u.server_s} s vs ${s.processCpuS} s`);
  const burns = u.threads.filter((t) => /^burn-\d$|^exiter$/.test(t.comm));
  assert.ok(
    burns.every((t) => t.appeared && t.class === 'server'),
    JSON.stringify(burns),
  );
  assert.ok(burns.reduce((a, t) => a + t.total_s, 0) + u.unattributed_s.server >= s.burnS - TOLERANCE_S, 'what the burn threads burned is counted or unattributed');
  return { usage: u, lateMs: count.lateMs };
}
