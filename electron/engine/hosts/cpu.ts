// CPU time of a run's threads on any host (issue 15, item 4): the reading runner/cpu-accounting.ts
// does from this machine's /proc, done through a Host so a remote server's threads can be counted
// on their own kernel. One round trip per reading (sampleProcesses plus /proc/uptime); the
// difference of two readings gives seconds by thread class (cpu-accounting.ts's classes), in that
// host's own clock ticks, never mixed with another kernel's. How points record CPU is not changed
// here: this is the reader a host-aware CpuAccounting can call.
import type { CpuRole, ThreadClass } from '../runner/cpu-accounting';
import { classifyThread, THREAD_CLASSES } from '../runner/cpu-accounting';
import type { Host } from './types';

export interface HostCpuThread {
  pid: number;
  tid: number;
  comm: string;
  role: CpuRole;
  /** Thread start (clock ticks since that host's boot): a tid reused by another thread differs here. */
  starttime: string;
  utime: number;
  stime: number;
}

export interface HostCpuReading {
  host: string;
  /** Clock ticks since that host's boot, from its /proc/uptime. */
  uptime_ticks: number;
  threads: HostCpuThread[];
}

/** Every thread of `targets` (pids) on `host`, with its CPU ticks; a process that is gone is left out. */
export async function readHostCpu(host: Host, targets: readonly { pid: number; role: CpuRole }[], clockTicks = 100): Promise<HostCpuReading> {
  const [samples, [uptime]] = await Promise.all([host.sampleProcesses({ pids: targets.map((t) => t.pid) }), host.readTextFiles(['/proc/uptime'])]);
  if (!uptime) throw new Error(`${host.name}: cannot read /proc/uptime: CPU accounting needs Linux /proc there`);
  const roleOf = new Map(targets.map((t) => [t.pid, t.role]));
  const threads = samples.flatMap((p) =>
    p.tasks.map((t) => ({ pid: p.pid, tid: t.tid, comm: t.stat.comm, role: roleOf.get(p.pid) ?? 'server', starttime: t.stat.starttime, utime: t.stat.utime, stime: t.stat.stime })),
  );
  return { host: host.name, uptime_ticks: Math.floor(Number(uptime.split(' ')[0]) * clockTicks), threads };
}

/**
 * CPU seconds by thread class between two readings of one host. A thread in both counts its
 * difference; one born after `before` (its starttime later than before's uptime) counts from
 * zero; one that exited before `after` is not seen there, and its time since `before` is lost
 * (a sampler reading often keeps that short, as cpu-accounting.ts does).
 */
export function hostCpuBetween(before: HostCpuReading, after: HostCpuReading, clockTicks = 100): Record<ThreadClass, number> {
  if (before.host !== after.host) throw new Error(`readings of two hosts (${before.host}, ${after.host}): ticks of different kernels do not mix`);
  const out = Object.fromEntries(THREAD_CLASSES.map((c) => [c, 0])) as Record<ThreadClass, number>;
  const base = new Map(before.threads.map((t) => [`${t.tid}@${t.starttime}`, t]));
  for (const t of after.threads) {
    const b = base.get(`${t.tid}@${t.starttime}`);
    const born = Number(t.starttime) >= before.uptime_ticks;
    if (!b && !born) continue; // existed before but was not read then: no baseline to count from
    const ticks = t.utime + t.stime - (b ? b.utime + b.stime : 0);
    const cls = classifyThread(t.comm, t.role);
    out[cls] += Math.max(0, ticks) / clockTicks;
  }
  return out;
}
