// Child processes of a run. Each is started in its own process group (detached) so that stopping
// it also stops everything it forked (nginx's workers), and is started from an argv array, never
// a shell string. Output goes to files kept as artifacts, and to an optional live listener.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { processesInGroup, startTicks } from './procfs';

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  role: string;
  data: string;
}

export interface StartOptions {
  role: string;
  argv: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  stdoutPath: string;
  stderrPath: string;
  /** Pin every thread the process creates to these CPUs (taskset -c, inherited by children). */
  cpus?: readonly number[];
  onOutput?: (chunk: OutputChunk) => void;
}

export class ToolMissingError extends Error {
  constructor(readonly program: string) {
    super(`"${program}" is not installed or not on PATH`);
    this.name = 'ToolMissingError';
  }
}

const MAX_KEPT = 1 << 20;

export class RunningProcess {
  readonly pid: number;
  readonly startTicks: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stdoutKept = '';
  private done = false;

  private constructor(
    readonly role: string,
    readonly argv: readonly string[],
    private readonly child: ChildProcess,
    streams: WriteStream[],
  ) {
    this.pid = child.pid as number;
    this.startTicks = startTicks(this.pid);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.done = true;
        // Close the files only after the pipes have drained, so nothing written at exit is lost.
        const closing = streams.map((s) => new Promise<void>((r) => s.end(r)));
        child.on('close', () => void Promise.all(closing).then(() => resolve({ code, signal })));
      });
    });
  }

  static async start(o: StartOptions): Promise<RunningProcess> {
    const argv = o.cpus && o.cpus.length > 0 ? ['taskset', '-c', o.cpus.join(','), ...o.argv] : [...o.argv];
    const [program, ...args] = argv as [string, ...string[]];
    const out = createWriteStream(o.stdoutPath);
    const err = createWriteStream(o.stderrPath);
    const child = spawn(program, args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e: NodeJS.ErrnoException) => {
        out.end();
        err.end();
        reject(e.code === 'ENOENT' ? new ToolMissingError(program) : e);
      });
    });
    const p = new RunningProcess(o.role, argv, child, [out, err]);
    child.stdout?.on('data', (b: Buffer) => {
      out.write(b);
      if (p.stdoutKept.length < MAX_KEPT) p.stdoutKept += b.toString('utf8');
      o.onOutput?.({ stream: 'stdout', role: o.role, data: b.toString('utf8') });
    });
    child.stderr?.on('data', (b: Buffer) => {
      err.write(b);
      o.onOutput?.({ stream: 'stderr', role: o.role, data: b.toString('utf8') });
    });
    return p;
  }

  get running(): boolean {
    return !this.done;
  }

  get stdout(): string {
    return this.stdoutKept;
  }

  /** Signal the whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.done) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // already gone
    }
  }

  /**
   * Ask politely, then insist: `sig`, and SIGKILL to the group after `graceMs`. Returns only
   * when no process of the group is left running (forked workers included).
   */
  async stop(sig: NodeJS.Signals, graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
    let forced = false;
    if (!this.done) {
      this.signal(sig);
      let timer: NodeJS.Timeout | undefined;
      forced = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), graceMs);
        }),
      ]);
      if (timer) clearTimeout(timer);
      if (forced) this.signal('SIGKILL');
    }
    const res = await this.exited;
    await this.emptyGroup();
    return { ...res, forced };
  }

  /** The leader may be gone while children it forked still hold the group: end them too. */
  private async emptyGroup(): Promise<void> {
    for (let i = 0; i < 100 && processesInGroup(this.pid).length > 0; i++) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
