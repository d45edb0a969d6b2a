// Child processes of a run. Each is started in its own process group (detached) so that stopping
// it also stops everything it forked (nginx's workers), and is started from an argv array, never
// a shell string. Output goes to files kept as artifacts, and to an optional live listener.
//
// Two ways to attach the child's output: pipes (the default, used by the CLI), or a
// pseudo-terminal (`pty: true`, used by UI runs, whose live terminal shows what a person would see
// in a shell). Under a pty the child is a session leader, so its pid is also its process-group id
// and the group-kill semantics are the same; stdout and stderr arrive merged, so the merged stream
// goes to the stdout file (the stderr file is left empty) with CRLF normalised to LF, so that the
// drivers' parsers read the same text in both modes.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, createWriteStream, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import type * as NodePty from 'node-pty';
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
  /** Run under a pseudo-terminal (node-pty) instead of pipes. */
  pty?: boolean;
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
    pid: number,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.pid = pid;
    this.startTicks = startTicks(this.pid);
    this.exited = exited.then((r) => {
      this.done = true;
      return r;
    });
  }

  static async start(o: StartOptions): Promise<RunningProcess> {
    const argv = o.cpus && o.cpus.length > 0 ? ['taskset', '-c', o.cpus.join(','), ...o.argv] : [...o.argv];
    return o.pty ? RunningProcess.startPty(o, argv) : RunningProcess.startPiped(o, argv);
  }

  private static async startPiped(o: StartOptions, argv: string[]): Promise<RunningProcess> {
    const [program, ...args] = argv as [string, ...string[]];
    const out = createWriteStream(o.stdoutPath);
    const err = createWriteStream(o.stderrPath);
    const child: ChildProcess = spawn(program, args, {
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
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        // Close the files only after the pipes have drained, so nothing written at exit is lost.
        const closing = [out, err].map((s) => new Promise<void>((r) => s.end(r)));
        child.on('close', () => void Promise.all(closing).then(() => resolve({ code, signal })));
      });
    });
    const p = new RunningProcess(o.role, argv, child.pid as number, exited);
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

  private static async startPty(o: StartOptions, argv: string[]): Promise<RunningProcess> {
    const [program, ...args] = argv as [string, ...string[]];
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...o.env })) if (v !== undefined) env[k] = v;
    // node-pty forks first and reports a failed exec only as output and exit code 1: look the
    // program up beforehand so that a missing tool fails the same way as with pipes.
    if (!findExecutable(program, env.PATH ?? '')) throw new ToolMissingError(program);
    // Loaded on first use: the CLI (pipes) never needs the native module.
    const pty = require('node-pty') as typeof NodePty;
    const out = createWriteStream(o.stdoutPath);
    const err = createWriteStream(o.stderrPath);
    err.end();
    const term = pty.spawn(program, args, { name: 'xterm-256color', cols: 160, rows: 48, cwd: o.cwd ?? process.cwd(), env });
    let exitedResolve!: (r: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const p = new RunningProcess(o.role, argv, term.pid, new Promise((r) => (exitedResolve = r)));
    // The terminal turns every "\n" into "\r\n"; a "\r" that ends a chunk waits for the next one.
    let pendingCR = false;
    const emit = (data: string) => {
      if (data === '') return;
      out.write(data);
      if (p.stdoutKept.length < MAX_KEPT) p.stdoutKept += data;
      o.onOutput?.({ stream: 'stdout', role: o.role, data });
    };
    term.onData((raw) => {
      let data = (pendingCR ? '\r' : '') + raw;
      pendingCR = data.endsWith('\r');
      if (pendingCR) data = data.slice(0, -1);
      emit(data.replace(/\r\n/g, '\n'));
    });
    // node-pty reports the exit once the pty has been read to its end (or shortly after).
    term.onExit(({ exitCode, signal }) => {
      if (pendingCR) emit('\r');
      pendingCR = false;
      const sig = signal ? signalName(signal) : null;
      out.end(() => exitedResolve({ code: sig ? null : exitCode, signal: sig }));
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
      forced = await outlasts(this.exited, graceMs);
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

function signalName(n: number): NodeJS.Signals {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return 'SIGKILL';
}

/** The path `program` would run as (execvp's lookup), or undefined. */
export function findExecutable(program: string, pathVar: string): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : pathVar
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, program));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, fsConstants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether `pending` is still unsettled after `ms` (the timer is cleared either way). */
export async function outlasts(pending: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      pending.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
