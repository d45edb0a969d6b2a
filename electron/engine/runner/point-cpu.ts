// The CPU a point's measured phase cost, wherever its processes ran. Each role is counted on its
// own host: process groups on this machine through cpu-accounting.ts from this machine's /proc
// (in one account, started and stopped together, as a point on one machine always was), groups
// on another host from the readings of that host's CPU reader (hosts/cpu.ts: its /proc, picked by
// its clock, in its clock ticks — a remote server's pid means nothing in the lab's process
// table). Seconds from several hosts are then summed by class; each thread says its host.
import type { HostCpuReader } from '../hosts/cpu';
import type { PointCpu } from '../model';
import { CpuAccounting, THREAD_CLASSES, type CpuRole, type CpuUsage, type ThreadClass, type ClassUsage } from './cpu-accounting';
import { processesInGroup } from './procfs';

/** A process group whose CPU a point counts: here (reader null) or through its host's CPU reader, with that host's clock minus this machine's (ms). */
export interface CpuGroup {
  pgrp: number;
  role: CpuRole;
  reader: HostCpuReader | null;
  clockOffsetMs?: number;
}

type HostedUsage = CpuUsage & { host: string | null };

/** Ends a count (its parts are kept). */
export type CpuCount = () => Promise<void>;

/**
 * The CPU of one point: parts counted over its measured window — each begins when the window
 * does and ends when its load generator has ended — and summed. The first problem is kept, and a
 * point with one has no CPU numbers (a part missing would understate them).
 */
export class PointCpuWindow {
  private readonly parts: HostedUsage[] = [];
  problem: string | null = null;
  /** Doubts about numbers that were counted (a host whose readings began late). */
  readonly warnings: string[] = [];

  /** `windowMs`: the measured phase's length, against which a late start is judged. */
  constructor(private readonly o: { windowMs: number }) {}

  /**
   * Counts `groups` from `beginAt` (ms on this machine's clock) until the returned function is
   * called. Groups here are listed and read when the window begins, as on one machine; another
   * host's are picked from its reader's readings by that host's clock.
   */
  count(groups: readonly CpuGroup[], beginAt: number): CpuCount {
    const local = groups.filter((g) => g.reader === null);
    const byReader = new Map<HostCpuReader, { offset: number; roles: Map<number, CpuRole> }>();
    for (const g of groups) {
      if (!g.reader) continue;
      const entry = byReader.get(g.reader) ?? { offset: g.clockOffsetMs ?? 0, roles: new Map() };
      entry.roles.set(g.pgrp, g.role);
      byReader.set(g.reader, entry);
    }
    const there = [...byReader].map(([reader, { offset, roles }]) => ({ host: reader.host.name, count: reader.count(roles, beginAt, offset) }));
    let here: CpuAccounting | null = null;
    let begun = local.length === 0;
    const begin = () => {
      begun = true;
      try {
        here = CpuAccounting.start(local.flatMap((g) => processesInGroup(g.pgrp).map((pid) => ({ pid, role: g.role }))));
      } catch (e) {
        this.problem ??= `CPU not measured: ${(e as Error).message}`;
      }
    };
    const delay = beginAt - Date.now();
    const timer = local.length > 0 && delay > 0 ? setTimeout(begin, delay) : null;
    if (local.length > 0 && !timer) begin();
    return async () => {
      if (timer) clearTimeout(timer);
      if (!begun) this.problem ??= 'CPU not measured: the load generator ended before its measured phase began';
      if (here) this.parts.push({ ...(here as CpuAccounting).stop(), host: null });
      const settled = await Promise.allSettled(there.map(async (t) => ({ ...(await t.count.end()), host: t.host })));
      for (const s of settled) {
        if (s.status === 'fulfilled') this.parts.push(s.value);
        else this.problem ??= `CPU not measured: ${(s.reason as Error).message}`;
      }
      // Readings that began after the window did counted less than the window.
      for (const t of there) {
        if (t.count.lateMs > 0.05 * this.o.windowMs)
          this.warnings.push(`CPU on ${t.host} counted from ${Math.round(t.count.lateMs)} ms into the ${this.o.windowMs / 1000} s measured window (no reading there before): its seconds are low`);
      }
    };
  }

  /** The point's CPU: null when a part could not be counted (the problem says why) or none was. */
  result(): PointCpu | null {
    if (this.problem || this.parts.length === 0) return null;
    return pointCpu(this.parts);
  }
}

/** What the point keeps of its accounts: totals by class over every host, and the busiest threads (at most 64). */
export function pointCpu(parts: readonly HostedUsage[]): PointCpu {
  const threads = parts
    .flatMap((u) => u.threads.map((t) => ({ ...t, host: u.host })))
    .sort((a, b) => b.total_s - a.total_s || a.tid - b.tid)
    .slice(0, 64)
    .map(({ pid, tid, comm, class: cls, user_s, system_s, total_s, host }) => ({ pid, tid, comm, class: cls, user_s, system_s, total_s, ...(host ? { host } : {}) }));
  const sum = (f: (u: HostedUsage) => number) => parts.reduce((a, u) => a + f(u), 0);
  const by_class = Object.fromEntries(
    THREAD_CLASSES.map((c): [ThreadClass, ClassUsage] => [
      c,
      {
        user_s: sum((u) => u.by_class[c].user_s),
        system_s: sum((u) => u.by_class[c].system_s),
        total_s: sum((u) => u.by_class[c].total_s),
        threads: sum((u) => u.by_class[c].threads),
      },
    ]),
  ) as Record<ThreadClass, ClassUsage>;
  return {
    wall_s: Math.max(...parts.map((u) => u.wall_s)),
    server_s: sum((u) => u.server_s),
    loadgen_s: sum((u) => u.loadgen_s),
    by_class,
    unattributed_s: { server: sum((u) => u.unattributed_s.server), loadgen: sum((u) => u.unattributed_s.loadgen) },
    threads,
  };
}
