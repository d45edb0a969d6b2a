// CPU accounting of a measured phase: CPU seconds (user and system) of every thread of the
// server's processes and of the load generator, by class of thread, so that a backend that wins
// requests/s by burning another core shows it (requests_per_cpu_s).
//
// Classes, by thread name (comm) within the server's processes:
//   saio-kworker  libsaio's kernel workers (saio-kworkerN), threads of the served process;
//   sqpoll        io_uring SQPOLL threads (iou-sqp-<pid>);
//   io-wq         io_uring async workers (iou-wrk-<tid>);
//   server        every other thread of the server (nginx's workers, redis' io-threads, …);
// and loadgen for every thread of the load generator's processes.
//
// How: /proc/<pid>/task/<tid>/stat (utime, stime) for each thread and /proc/<pid>/stat for each
// process are read at start, every `intervalMs`, and at stop. The process line counts the time
// of threads that have exited too, so the per-process totals are exact; a thread that exits
// between two samples keeps its last reading and the rest of its time (less than one interval's
// worth) is reported as `unattributed` for its role rather than guessed into a class. A thread
// or process first seen after start that was born after start counts from zero; one that
// existed before (a pid added late) counts from its first reading.
//
// Not counted: kernel work done outside these processes' threads (softirq on another CPU's
// ksoftirqd, global kworkers, kTLS's crypto workers). The resolution is the kernel's clock tick
// as exposed in /proc (USER_HZ, 100 per second on Linux): 10 ms per thread.
import { readFileSync } from 'node:fs';
import { parseStat, threadStatsOf, type TaskStat } from './procfs';

export type CpuRole = 'server' | 'loadgen';
export type ThreadClass = 'server' | 'saio-kworker' | 'sqpoll' | 'io-wq' | 'loadgen';
export const THREAD_CLASSES: readonly ThreadClass[] = ['server', 'saio-kworker', 'sqpoll', 'io-wq', 'loadgen'];

export interface CpuTarget {
  pid: number;
  role: CpuRole;
}

export interface CpuAccountingOptions {
  /** Sampling period while running (ms); threads that exit lose at most this much to `unattributed`. */
  intervalMs?: number;
  /** USER_HZ: the unit of utime/stime in /proc (100 on Linux for every mainstream architecture). */
  clockTicks?: number;
}

export function classifyThread(comm: string, role: CpuRole): ThreadClass {
  if (role === 'loadgen') return 'loadgen';
  if (/^saio-kworker/.test(comm)) return 'saio-kworker';
  if (comm.startsWith('iou-sqp-')) return 'sqpoll';
  if (comm.startsWith('iou-wrk-')) return 'io-wq';
  return 'server';
}

interface Ticks {
  utime: number;
  stime: number;
}

interface Tracked {
  pid: number;
  tid: number;
  role: CpuRole;
  comm: string;
  starttime: number;
  base: Ticks;
  last: Ticks;
  /** Born after accounting started (counted from zero). */
  appeared: boolean;
  gone: boolean;
}

export interface ClassUsage {
  user_s: number;
  system_s: number;
  total_s: number;
  threads: number;
}

export interface ThreadUsage {
  pid: number;
  tid: number;
  comm: string;
  class: ThreadClass;
  user_s: number;
  system_s: number;
  total_s: number;
  appeared: boolean;
  exited: boolean;
}

export interface ProcessUsage {
  pid: number;
  role: CpuRole;
  comm: string;
  user_s: number;
  system_s: number;
  total_s: number;
  exited: boolean;
}

export interface CpuUsage {
  wall_s: number;
  samples: number;
  clock_ticks: number;
  by_class: Record<ThreadClass, ClassUsage>;
  /** Time of threads that exited between samples, by role (seconds). */
  unattributed_s: Record<CpuRole, number>;
  /** Everything the server side cost: its classes plus its unattributed time. */
  server_s: number;
  loadgen_s: number;
  total_s: number;
  processes: ProcessUsage[];
  threads: ThreadUsage[];
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Clock ticks since boot, the unit of the stat lines' starttime. */
function uptimeTicks(clockTicks: number): number {
  const text = read('/proc/uptime');
  if (text === null) throw new Error('cannot read /proc/uptime: CPU accounting needs Linux /proc');
  return uptimeToTicks(text, clockTicks);
}

/** /proc/uptime's first field in clock ticks. */
export function uptimeToTicks(uptime: string, clockTicks: number): number {
  return Math.floor(Number(uptime.split(' ')[0]) * clockTicks);
}

/** One reading of one thread: its /proc/PID/task/TID/stat. */
export interface ThreadReading {
  tid: number;
  stat: TaskStat;
}

/**
 * The bookkeeping of an account, whoever reads /proc for it (CpuAccounting here, hosts/cpu.ts on
 * another host): each process and thread's baseline and last reading, which were born after the
 * start (counted from zero) and which are gone, and the usage they add up to. Readings are of one
 * kernel: its clock ticks, its pids.
 */
export class CpuLedger {
  private readonly processes = new Map<number, Tracked>();
  private readonly threads = new Map<string, Tracked>();

  /** `startTicks`: the start in ticks since that kernel's boot (a later-born task counts from zero). */
  constructor(
    private readonly startTicks: number,
    readonly clockTicks: number,
  ) {}

  has(pid: number): boolean {
    return this.processes.has(pid);
  }

  /** Pids tracked and not seen to exit. */
  live(): number[] {
    return [...this.processes.values()].filter((p) => !p.gone).map((p) => p.pid);
  }

  /** A process first read (`atStart`: part of the baseline), with its threads as read just after. */
  add(target: CpuTarget, stat: TaskStat, readThreads: () => ThreadReading[], atStart: boolean): void {
    const starttime = Number(stat.starttime);
    const appeared = !atStart && starttime >= this.startTicks;
    const now = { utime: stat.utime, stime: stat.stime };
    const proc: Tracked = {
      pid: target.pid,
      tid: target.pid,
      role: target.role,
      comm: stat.comm,
      starttime,
      base: appeared ? { utime: 0, stime: 0 } : now,
      last: now,
      appeared,
      gone: false,
    };
    this.processes.set(target.pid, proc);
    this.readThreads(proc, readThreads(), atStart);
  }

  /**
   * A later reading of a tracked process: `stat` null (not found) or of another process (its pid
   * reused) means it exited, and its last readings and its threads' stand; else its threads are
   * read (those not among them have exited).
   */
  update(pid: number, stat: TaskStat | null, readThreads: () => ThreadReading[]): void {
    const proc = this.processes.get(pid);
    if (!proc || proc.gone) return;
    const alive = stat !== null && Number(stat.starttime) === proc.starttime;
    if (alive) {
      proc.last = { utime: stat.utime, stime: stat.stime };
      proc.comm = stat.comm;
    } else proc.gone = true;
    this.readThreads(proc, alive ? readThreads() : [], false);
  }

  private readThreads(proc: Tracked, readings: readonly ThreadReading[], atStart: boolean): void {
    const seen = new Set<string>();
    for (const { tid, stat: st } of readings) {
      const starttime = Number(st.starttime);
      const key = `${tid}@${starttime}`;
      const now = { utime: st.utime, stime: st.stime };
      seen.add(key);
      const known = this.threads.get(key);
      if (known) {
        known.last = now;
        known.comm = st.comm;
        continue;
      }
      const appeared = !atStart && starttime >= this.startTicks;
      this.threads.set(key, {
        pid: proc.pid,
        tid,
        role: proc.role,
        comm: st.comm,
        starttime,
        base: appeared ? { utime: 0, stime: 0 } : now,
        last: now,
        appeared,
        gone: false,
      });
    }
    for (const [key, t] of this.threads) if (t.pid === proc.pid && !seen.has(key)) t.gone = true;
  }

  /** What the readings so far add up to, over `wall_s` seconds and `samples` readings. */
  usage(wall_s: number, samples: number): CpuUsage {
    const sec = (ticks: number) => ticks / this.clockTicks;
    const delta = (t: Tracked) => ({ u: Math.max(0, t.last.utime - t.base.utime), s: Math.max(0, t.last.stime - t.base.stime) });

    const by_class = Object.fromEntries(THREAD_CLASSES.map((c) => [c, { user_s: 0, system_s: 0, total_s: 0, threads: 0 }])) as Record<ThreadClass, ClassUsage>;
    const threadTicks = new Map<number, number>();
    const threads: ThreadUsage[] = [];
    for (const t of this.threads.values()) {
      const d = delta(t);
      const cls = classifyThread(t.comm, t.role);
      const c = by_class[cls];
      c.user_s += sec(d.u);
      c.system_s += sec(d.s);
      c.total_s += sec(d.u + d.s);
      c.threads++;
      threadTicks.set(t.pid, (threadTicks.get(t.pid) ?? 0) + d.u + d.s);
      threads.push({ pid: t.pid, tid: t.tid, comm: t.comm, class: cls, user_s: sec(d.u), system_s: sec(d.s), total_s: sec(d.u + d.s), appeared: t.appeared, exited: t.gone });
    }
    const unattributed_s: Record<CpuRole, number> = { server: 0, loadgen: 0 };
    const processes: ProcessUsage[] = [];
    for (const p of this.processes.values()) {
      const d = delta(p);
      // The process line includes exited threads; what the live threads' readings miss of it
      // is the time of threads that exited since their last sample.
      unattributed_s[p.role] += sec(Math.max(0, d.u + d.s - (threadTicks.get(p.pid) ?? 0)));
      processes.push({ pid: p.pid, role: p.role, comm: p.comm, user_s: sec(d.u), system_s: sec(d.s), total_s: sec(d.u + d.s), exited: p.gone });
    }
    const server_s = by_class.server.total_s + by_class['saio-kworker'].total_s + by_class.sqpoll.total_s + by_class['io-wq'].total_s + unattributed_s.server;
    const loadgen_s = by_class.loadgen.total_s + unattributed_s.loadgen;
    return {
      wall_s,
      samples,
      clock_ticks: this.clockTicks,
      by_class,
      unattributed_s,
      server_s,
      loadgen_s,
      total_s: server_s + loadgen_s,
      processes,
      threads: threads.sort((a, b) => a.pid - b.pid || a.tid - b.tid),
    };
  }
}

/** An account of processes on this machine, read from its own /proc. */
export class CpuAccounting {
  private readonly ledger: CpuLedger;
  private readonly startedAt: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private samples = 0;
  private result: CpuUsage | null = null;

  private constructor(targets: readonly CpuTarget[], o: CpuAccountingOptions) {
    const clockTicks = o.clockTicks ?? 100;
    this.ledger = new CpuLedger(uptimeTicks(clockTicks), clockTicks);
    this.startedAt = performance.now();
    for (const t of targets) this.track(t, true);
    this.sample();
    const interval = o.intervalMs ?? 200;
    if (interval > 0) {
      this.timer = setInterval(() => this.sample(), interval);
      this.timer.unref();
    }
  }

  /** Starts counting now: the first reading of every thread of `targets` is the baseline. */
  static start(targets: readonly CpuTarget[], o: CpuAccountingOptions = {}): CpuAccounting {
    return new CpuAccounting(targets, o);
  }

  /**
   * Adds a process found after start (a respawned worker, a late child). False when it is
   * already gone (nothing to count) or already tracked.
   */
  add(target: CpuTarget): boolean {
    return this.track(target, false);
  }

  private track(target: CpuTarget, atStart: boolean): boolean {
    if (this.result) throw new Error('CPU accounting already stopped');
    if (!Number.isInteger(target.pid) || target.pid <= 0) throw new RangeError(`not a pid: ${target.pid}`);
    if (this.ledger.has(target.pid)) return false;
    const text = read(`/proc/${target.pid}/stat`);
    if (text === null) {
      if (atStart) throw new Error(`process ${target.pid} (${target.role}) does not exist: nothing to account`);
      return false;
    }
    this.ledger.add(target, parseStat(text), () => threadStatsOf(target.pid), atStart);
    return true;
  }

  /** Reads every tracked process and its threads once (also done every intervalMs). */
  sample(): void {
    if (this.result) return;
    this.samples++;
    for (const pid of this.ledger.live()) {
      const text = read(`/proc/${pid}/stat`);
      this.ledger.update(pid, text === null ? null : parseStat(text), () => threadStatsOf(pid));
    }
  }

  /** Takes the last reading and returns the usage since start. Idempotent. */
  stop(): CpuUsage {
    if (this.result) return this.result;
    if (this.timer) clearInterval(this.timer);
    this.sample();
    this.result = this.ledger.usage((performance.now() - this.startedAt) / 1000, this.samples);
    return this.result;
  }
}

/**
 * Requests served per CPU second of the server side (its threads, libsaio's kernel workers,
 * SQPOLL and io-wq threads; not the load generator). Null when no CPU time was measured.
 */
export function requestsPerCpuSecond(requests: number, usage: CpuUsage): number | null {
  return usage.server_s > 0 ? requests / usage.server_s : null;
}
