// Reading /proc: a process's start time (to tell a live process from a recycled pid), its process
// group, and per-thread placement. Fields are parsed after the ")" that ends the command name,
// because the name itself may contain spaces and parentheses.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface TaskStat {
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  utime: number;
  stime: number;
  starttime: string;
  /** CPU the task last ran on (field 39). */
  processor: number;
}

export function parseStat(text: string): TaskStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`unexpected /proc stat line: ${text.slice(0, 80)}`);
  const comm = text.slice(open + 1, close);
  // After ")": field 3 (state) is index 0 here, so field N is index N - 3.
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const num = (field: number) => Number(f[field - 3]);
  return {
    comm,
    state: f[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    utime: num(14),
    stime: num(15),
    starttime: f[22 - 3] ?? '',
    processor: num(39),
  };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function processStat(pid: number): TaskStat | null {
  const text = readOrNull(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text);
}

/** True when `pid` is alive and is the same process that started at `starttime`. */
export function isSameProcess(pid: number, starttime: string): boolean {
  const st = processStat(pid);
  return st !== null && st.starttime === starttime && st.state !== 'Z';
}

export function startTicks(pid: number): string {
  return processStat(pid)?.starttime ?? '';
}

export interface TaskStatus {
  allowedCpus: string;
  voluntary: number;
  nonvoluntary: number;
}

export function parseStatus(text: string): TaskStatus {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    allowedCpus: field('Cpus_allowed_list'),
    voluntary: Number(field('voluntary_ctxt_switches') || 0),
    nonvoluntary: Number(field('nonvoluntary_ctxt_switches') || 0),
  };
}

export interface TaskSample {
  pid: number;
  tid: number;
  stat: TaskStat;
  status: TaskStatus;
}

/** What `read` makes of each thread of `pid` (given its /proc/PID/task/TID); null — a thread gone meanwhile — is left out. */
function perThread<T>(pid: number, read: (dir: string, tid: number) => T | null): T[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const t of tids) {
    const v = read(`/proc/${pid}/task/${t}`, Number(t));
    if (v !== null) out.push(v);
  }
  return out;
}

/** Every thread of `pid`; threads that exit while being read are left out. */
export function tasksOf(pid: number): TaskSample[] {
  return perThread(pid, (dir, tid) => {
    const stat = readOrNull(`${dir}/stat`);
    const status = readOrNull(`${dir}/status`);
    return stat === null || status === null ? null : { pid, tid, stat: parseStat(stat), status: parseStatus(status) };
  });
}

/** The stat line of every thread of `pid` (what CPU accounting reads, without the status files). */
export function threadStatsOf(pid: number): { tid: number; stat: TaskStat }[] {
  return perThread(pid, (dir, tid) => {
    const stat = readOrNull(`${dir}/stat`);
    return stat === null ? null : { tid, stat: parseStat(stat) };
  });
}

/** Socket inodes among /proc/PID/fd's links ("socket:[N]"), or null when its fds cannot be read. */
export function socketInodesOf(pid: number): number[] | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(Number(m[1]));
    } catch {
      // closed since the listing
    }
  }
  return out;
}

/**
 * Live processes whose process group is `pgrp` (a server's master and all its workers). Zombies
 * are left out: they run nothing and wait only for their parent (or init) to reap them.
 */
export function processesInGroup(pgrp: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readOrNull(`/proc/${name}/stat`);
    if (st === null) continue;
    try {
      const stat = parseStat(st);
      if (stat.pgrp === pgrp && stat.state !== 'Z') out.push(Number(name));
    } catch {
      // a process that vanished between readdir and read
    }
  }
  return out;
}
