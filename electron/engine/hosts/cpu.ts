// CPU accounting on any host (issue 15, item 4): what runner/cpu-accounting.ts counts from this
// machine's /proc, counted from another host's own /proc, so a server or a load generator there
// is measured on its own kernel — its pids, its clock ticks — and never looked up in the lab's
// process table.
//
// The readings are timed on the host, not from here: a round trip can take longer than a quick
// point's whole window (a login shell reading rc files: seconds on a busy machine, and logins
// there contend with each other and with the placement sampler's). So one reader per host per
// run (remote-sh.ts cpuFollowScript, started as a process of the run, so cleanup after a killed
// lab finds it) streams a reading every `intervalMs` (100 ms) of every server and load generator
// the run starts there (their pid files) with the host's uptime, and a point's count picks its
// readings by time: the baseline is the last reading at or before the window's start on that
// host's clock (the lab's time plus the host's measured offset, mapped through the reader's first
// line), the end the first reading at or after the lab's end. Between them every reading goes
// into cpu-accounting.ts's CpuLedger, so classes, baselines, threads born later and the time of
// threads that exited between readings (unattributed) are counted exactly as on this machine; a
// process that exits keeps its last reading (a load generator loses at most one interval).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CpuLedger, uptimeToTicks, type CpuRole, type CpuUsage, type ThreadReading } from '../runner/cpu-accounting';
import { parseStat, type TaskStat } from '../runner/procfs';
import { cpuFollowScript } from './remote-sh';
import type { Host, HostProcess } from './types';

/** How long a count's end waits for the reading at or after its moment. */
const END_WAIT_MS = 10_000;

export interface HostCpuReaderOptions {
  /** Where the reader's own stderr is kept (a local file); its stdout is parsed as it comes. */
  dir: string;
  /** Between readings there (ms). */
  intervalMs?: number;
  /** The reader ends by itself after this long (ms). */
  maxMs?: number;
  /** USER_HZ there (100 on Linux for every mainstream architecture). */
  clockTicks?: number;
}

/** One reading: the host's uptime (ticks) and the stat lines of the processes followed and their threads. */
interface Reading {
  uptime: number;
  processes: Map<number, TaskStat>;
  threads: Map<number, ThreadReading[]>;
}

/** Process groups counted from one moment to another, in one host's readings. */
class HostCpuCount {
  private ledger: CpuLedger | null = null;
  private first = 0;
  private last = 0;
  private samples = 0;
  /** How far after the asked start the baseline reading was (ms of that host's clock): 0 when one came before. */
  lateMs = 0;
  endAt: number | null = null;
  done: ((u: CpuUsage | Error) => void) | null = null;
  /** Called once the baseline is taken. */
  onStart: (() => void) | null = null;

  constructor(
    readonly roles: Map<number, CpuRole>,
    /** The start, in that host's uptime ticks. */
    readonly from: number,
    private readonly clockTicks: number,
  ) {}

  /** Feeds one reading (in order); `previous` is the reading before it, a candidate baseline. */
  take(r: Reading, previous: Reading | null): void {
    if (!this.ledger) {
      if (r.uptime < this.from) return;
      const base = previous && previous.uptime <= this.from && this.has(previous) ? previous : r;
      if (!this.has(base)) return; // not started yet: the next reading may have it
      this.ledger = new CpuLedger(base.uptime, this.clockTicks);
      this.first = base.uptime;
      this.lateMs = Math.max(0, ((base.uptime - this.from) * 1000) / this.clockTicks);
      for (const [pid, stat] of base.processes) {
        const role = this.roles.get(stat.pgrp);
        if (role !== undefined && stat.state !== 'Z') this.ledger.add({ pid, role }, stat, () => base.threads.get(pid) ?? [], true);
      }
      this.last = base.uptime;
      this.samples = 1;
      this.onStart?.();
      if (base === r) return;
    }
    const ledger = this.ledger;
    for (const pid of ledger.live()) ledger.update(pid, r.processes.get(pid) ?? null, () => r.threads.get(pid) ?? []);
    // A member that appeared meanwhile (a respawned worker) counts from its birth.
    for (const [pid, stat] of r.processes) {
      const role = this.roles.get(stat.pgrp);
      if (role !== undefined && !ledger.has(pid) && stat.state !== 'Z') ledger.add({ pid, role }, stat, () => r.threads.get(pid) ?? [], false);
    }
    this.last = r.uptime;
    this.samples++;
  }

  private has(r: Reading): boolean {
    const groups = new Set([...r.processes.values()].map((s) => s.pgrp));
    return [...this.roles.keys()].every((g) => groups.has(g));
  }

  get started(): boolean {
    return this.ledger !== null;
  }

  usage(): CpuUsage | null {
    return this.ledger ? this.ledger.usage((this.last - this.first) / this.clockTicks, this.samples) : null;
  }
}

export class HostCpuReader {
  private readonly reader: Promise<HostProcess>;
  private readonly clockTicks: number;
  /** The host's wall clock (ms) and uptime (ticks) at one moment: maps the lab's times to readings. */
  private anchor: { wallMs: number; uptime: number } | null = null;
  private pending = '';
  private building: Reading | null = null;
  /** Recent readings, for counts whose start is a little in the past. */
  private readonly recent: Reading[] = [];
  private readonly counts = new Set<HostCpuCount>();
  private ended = false;
  private failure: string | null = null;

  private constructor(
    readonly host: Host,
    o: HostCpuReaderOptions,
  ) {
    this.clockTicks = o.clockTicks ?? 100;
    const tag = randomBytes(4).toString('hex');
    const intervalMs = o.intervalMs ?? 100;
    // Opened first: the run's directory there (where the pid files are) is known once it is.
    this.reader = host.open().then(() =>
      host.spawn({
        role: 'cpu-reader',
        argv: [
          'sh',
          '-c',
          cpuFollowScript({ procDir: `${host.runDir}/procs`, roles: ['server', 'driver'], intervalMs, maxReadings: Math.ceil((o.maxMs ?? 24 * 3600_000) / intervalMs) }),
          'saio-cpu-reader',
        ],
        stdoutPath: '/dev/null',
        stderrPath: join(o.dir, `cpu-reader.${host.name}.${tag}.stderr`),
        onOutput: (c) => {
          if (c.stream === 'stdout') this.take(c.data);
        },
      }),
    );
    void this.reader
      .then((r) => r.exited)
      .then(
        () => this.end(null),
        (e: unknown) => this.end((e as Error).message),
      );
  }

  /** Starts following the run's servers and load generators on `host`. */
  static start(host: Host, o: HostCpuReaderOptions): HostCpuReader {
    return new HostCpuReader(host, o);
  }

  private end(failure: string | null): void {
    this.ended = true;
    this.failure ??= failure;
    for (const c of this.counts) this.finish(c);
  }

  private take(data: string): void {
    const lines = (this.pending + data).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        this.line(line);
      } catch {
        // a line cut or bent out of shape (a comm with a newline in it): that file's reading is skipped
      }
    }
  }

  private line(line: string): void {
    if (line.startsWith('A ')) {
      const [, ns, up1, up2] = line.trim().split(/\s+/);
      const wallMs = /^\d+$/.test(ns ?? '') ? Number(BigInt(ns as string) / 1_000_000n) : Date.now();
      // The clock was read between the two uptimes: the middle of them.
      this.anchor = { wallMs, uptime: (uptimeToTicks(up1 ?? '0', this.clockTicks) + uptimeToTicks(up2 ?? up1 ?? '0', this.clockTicks)) / 2 };
      return;
    }
    if (line === 'E') return this.endReading();
    const colon = line.indexOf(':');
    if (colon < 0) return;
    const path = line.slice(0, colon);
    const text = line.slice(colon + 1);
    const r = (this.building ??= { uptime: -1, processes: new Map(), threads: new Map() });
    if (path === '/proc/uptime') {
      r.uptime = uptimeToTicks(text, this.clockTicks);
      return;
    }
    const m = /^\/proc\/(\d+)\/(?:task\/(\d+)\/)?stat$/.exec(path);
    if (!m) return;
    const pid = Number(m[1]);
    const stat = parseStat(text);
    if (m[2] === undefined) r.processes.set(pid, stat);
    else {
      const list = r.threads.get(pid) ?? [];
      list.push({ tid: Number(m[2]), stat });
      r.threads.set(pid, list);
    }
  }

  private endReading(): void {
    const r = this.building;
    this.building = null;
    if (!r || r.uptime < 0) return;
    const previous = this.recent[this.recent.length - 1] ?? null;
    this.recent.push(r);
    // Two seconds of readings are enough for a count asked for a moment already past.
    while (this.recent.length > 1 && (this.recent[0] as Reading).uptime < r.uptime - 2 * this.clockTicks) this.recent.shift();
    for (const c of this.counts) {
      c.take(r, previous);
      if (c.endAt !== null && r.uptime >= c.endAt) this.finish(c);
    }
  }

  /** Lab time (ms since the epoch, this machine's clock) as that host's uptime ticks. */
  private ticksAt(labMs: number, clockOffsetMs: number): number {
    const a = this.anchor as { wallMs: number; uptime: number };
    return a.uptime + Math.round(((labMs + clockOffsetMs - a.wallMs) * this.clockTicks) / 1000);
  }

  private async anchored(): Promise<void> {
    const end = Date.now() + 60_000;
    while (!this.anchor && !this.ended && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (!this.anchor) throw new Error(`${this.host.name}: the CPU reader did not start${this.failure ? `: ${this.failure}` : ''}`);
  }

  /**
   * Counts the process groups in `roles` (pgrp → role) from `fromMs` (this machine's clock;
   * `clockOffsetMs`: that host's clock minus this one's) until end() is called; end() resolves
   * with the usage once a reading at or after that moment is in.
   */
  count(roles: ReadonlyMap<number, CpuRole>, fromMs: number, clockOffsetMs: number): { end(): Promise<CpuUsage>; readonly lateMs: number; readonly started: Promise<void> } {
    let started!: () => void;
    const baseline = new Promise<void>((r) => (started = r));
    const counting = this.anchored().then(() => {
      const c = new HostCpuCount(new Map(roles), this.ticksAt(fromMs, clockOffsetMs), this.clockTicks);
      c.onStart = started;
      this.recent.forEach((r, i) => c.take(r, this.recent[i - 1] ?? null));
      this.counts.add(c);
      return c;
    });
    counting.catch(() => undefined); // said by end()
    let late = 0;
    return {
      /** Resolves once the baseline reading is taken (for a test that must act after it). */
      started: baseline,
      get lateMs() {
        return late;
      },
      end: async () => {
        const c = await counting;
        const usage = await new Promise<CpuUsage | Error>((resolve) => {
          c.done = resolve;
          c.endAt = this.ticksAt(Date.now(), clockOffsetMs);
          const last = this.recent[this.recent.length - 1];
          if (this.ended || (last && last.uptime >= c.endAt)) this.finish(c);
          // A reader that stalls (or a clock that jumped) does not hold the point: what was read stands.
          else setTimeout(() => this.finish(c), END_WAIT_MS).unref();
        });
        late = c.lateMs;
        if (usage instanceof Error) throw usage;
        return usage;
      },
    };
  }

  private finish(c: HostCpuCount): void {
    if (!c.done) return;
    this.counts.delete(c);
    const u = c.usage();
    const groups = [...c.roles].map(([g, role]) => `process group ${g} (${role})`).join(', ');
    c.done(u ?? new Error(`${this.host.name}: ${groups} ${this.failure ? `not read: the CPU reader failed: ${this.failure}` : 'was not seen there in the measured window: nothing to account'}`));
    c.done = null;
  }

  /** Stops the reader (its counts end with what they have). */
  async close(): Promise<void> {
    const r = await this.reader.catch(() => null);
    if (r?.running) await r.stop('SIGTERM', 2000).catch(() => undefined);
    this.end(null);
  }
}
