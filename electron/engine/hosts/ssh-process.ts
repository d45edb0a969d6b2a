// A program started on an SSH host: the local side of remote-sh.ts's spawnScript. One ssh client
// (a session of the run's ControlMaster) carries the program's stdout and stderr back; its stdin is
// a pipe the lab holds open and never writes, which is the remote dead man's switch: when the lab
// dies, the pipe closes and the remote watcher kills the group. The first stderr line is the
// script's "SAIO-PID PID STARTTICKS" (or why it could not start); the rest is the program's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { outlasts, ToolMissingError, type OutputChunk } from '../runner/processes';
import { loginShellCommand } from './quote';
import { spawnScript } from './remote-sh';
import { sshFailure } from './ssh-errors';
import { HostError, ROLE, type ExitStatus, type HostProcess } from './types';

const MAX_KEPT = 1 << 20;

/** What an SshHost gives a process: how to run ssh, and how to signal and watch groups. */
export interface SshProcessHost {
  readonly name: string;
  readonly address: string;
  readonly runDir: string;
  clientArgv(command: string): string[];
  killGroup(pgid: number, sig: NodeJS.Signals): Promise<void>;
  processesInGroup(pgid: number): Promise<number[]>;
  nextSeq(): number;
  /** Why the run's connection to the host ended, or null while it is up. */
  connectionLost(): string | null;
}

export interface SshStart {
  role: string;
  argv: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  cpus?: readonly number[];
  /** Local files for the output; when absent, the output is kept in memory only. */
  stdoutPath?: string;
  stderrPath?: string;
  onOutput?: (chunk: OutputChunk) => void;
  /** Kept in memory in full (exec) rather than the first MiB. */
  keepAll?: boolean;
  /** sh run on the host after the program ended (GuestHost's console mark). */
  epilogue?: string;
  /** Told the local ssh client as soon as it exists (so a timeout can end it before the start). */
  onClient?: (child: ChildProcess) => void;
}

export class RemoteToolMissingError extends ToolMissingError {
  constructor(program: string, host: string) {
    super(program);
    this.message = `"${program}" is not installed or not on PATH on host ${host}`;
  }
}

export class SshProcess implements HostProcess {
  readonly exited: Promise<ExitStatus>;
  private done = false;
  private signalled = false;
  private stdoutKept = '';
  private stderrKept = '';
  /** The ssh connection ended under the program (exit 255 with ssh's own words on stderr). */
  lostConnection: HostError | null = null;

  private constructor(
    private readonly host: SshProcessHost,
    readonly role: string,
    readonly argv: readonly string[],
    readonly pid: number,
    readonly startTicks: string,
    private readonly child: ChildProcess,
    exited: Promise<ExitStatus>,
  ) {
    this.exited = exited.then((r) => {
      this.done = true;
      return r;
    });
  }

  static start(host: SshProcessHost, o: SshStart): Promise<SshProcess> {
    if (!ROLE.test(o.role)) throw new Error(`role ${JSON.stringify(o.role)}: expected 1 to 32 of a-z, 0-9, "-"`);
    const argv = o.cpus && o.cpus.length > 0 ? ['taskset', '-c', o.cpus.map((c) => String(Math.trunc(c))).join(','), ...o.argv] : [...o.argv];
    const procDir = `${host.runDir}/procs`;
    const script = spawnScript({ procDir, pidFile: `${procDir}/${host.nextSeq()}-${o.role}.pid`, role: o.role, argv, env: o.env, cwd: o.cwd, epilogue: o.epilogue });
    const ssh = host.clientArgv(loginShellCommand(script));
    const child = spawn(ssh[0] as string, ssh.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: WriteStream | null = o.stdoutPath ? createWriteStream(o.stdoutPath) : null;
    const err: WriteStream | null = o.stderrPath ? createWriteStream(o.stderrPath) : null;
    child.stdin?.on('error', () => {}); // the remote side is gone: nothing to tell it
    o.onClient?.(child);
    let proc: SshProcess | null = null;
    let head = '';
    let headDone = false;
    let pending: Buffer[] = [];
    const earlyStdout: Buffer[] = [];

    return new Promise<SshProcess>((resolve, reject) => {
      const exited = new Promise<ExitStatus>((resolveExit) => {
        child.on('close', (code, signal) => {
          child.stdin?.destroy();
          const closing = [out, err].filter((s): s is WriteStream => s !== null).map((s) => new Promise<void>((r) => s.end(r)));
          void Promise.all(closing).then(() => {
            if (!proc) {
              const why = head.trim();
              if (/^SAIO-MISSING /.test(why)) reject(new RemoteToolMissingError(why.slice('SAIO-MISSING '.length), host.name));
              else if (/^SAIO-ERROR /.test(why)) reject(new HostError(host.name, 'failed', `${host.name} (${host.address}): ${why.slice('SAIO-ERROR '.length)} (${host.runDir})`));
              else reject(sshFailure(host.name, host.address, code, head + Buffer.concat(pending).toString('utf8')));
              resolveExit({ code, signal });
              return;
            }
            let status: ExitStatus = { code, signal };
            if (code === 255 && /Connection to .* closed|client_loop|mux_client|Broken pipe|Connection reset|closed by remote host/.test(proc.stderrKept)) {
              proc.lostConnection = sshFailure(host.name, host.address, code, proc.stderrKept);
            } else if (code === 255 && host.connectionLost()) {
              proc.lostConnection = new HostError(host.name, 'gone', host.connectionLost() as string);
            }
            // A group killed by a signal makes the remote shell exit 128+N.
            if (code !== null && code > 128 && code < 128 + 65 && proc.signalled) status = { code: null, signal: signalName(code - 128) };
            resolveExit(status);
          });
        });
      });

      // Output that comes before the pid line (stdout and stderr are separate pipes) waits for it.
      const emitStdout = (b: Buffer) => {
        if (!proc) return void earlyStdout.push(b);
        out?.write(b);
        if (o.keepAll || proc.stdoutKept.length < MAX_KEPT) proc.stdoutKept += b.toString('utf8');
        o.onOutput?.({ stream: 'stdout', role: o.role, data: b.toString('utf8') });
      };
      const emitStderr = (b: Buffer) => {
        err?.write(b);
        if (proc && proc.stderrKept.length < MAX_KEPT) proc.stderrKept += b.toString('utf8');
        o.onOutput?.({ stream: 'stderr', role: o.role, data: b.toString('utf8') });
      };
      child.stdout?.on('data', emitStdout);
      child.stderr?.on('data', (b: Buffer) => {
        if (headDone) return emitStderr(b);
        pending.push(b);
        const all = Buffer.concat(pending);
        // The script's first line, after whatever the login shell's rc files said on stderr first
        // (pyenv's rehash racing another login printed "rm: cannot remove …" on a test host).
        const text = all.toString('latin1');
        const at = /^SAIO-(PID \d+ \d+|MISSING [^\n]*|ERROR [^\n]*)\n/m.exec(text);
        if (!at) return; // not yet (or an ssh failure: told when ssh exits, with all of it)
        headDone = true;
        head = at[0];
        const noise = all.subarray(0, at.index);
        pending = [all.subarray(at.index + at[0].length)];
        const m = /^SAIO-PID (\d+) (\d+)\n$/.exec(head);
        if (!m) return; // the script's refusal: told when ssh exits
        proc = new SshProcess(host, o.role, argv, Number(m[1]), m[2] as string, child, exited);
        for (const e of earlyStdout.splice(0)) emitStdout(e);
        const rest = Buffer.concat([noise, ...pending]);
        pending = [];
        if (rest.length > 0) emitStderr(rest);
        resolve(proc);
      });
      child.once('error', (e) => reject(new HostError(host.name, 'config', `cannot run ssh for ${host.name}: ${e.message}`)));
    });
  }

  get running(): boolean {
    return !this.done;
  }

  get stdout(): string {
    return this.stdoutKept;
  }

  get stderr(): string {
    return this.stderrKept;
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    if (this.done) return;
    this.signalled = true;
    await this.host.killGroup(this.pid, sig);
  }

  async stop(sig: NodeJS.Signals, graceMs: number): Promise<ExitStatus & { forced: boolean }> {
    let forced = false;
    if (!this.done) {
      await this.signal(sig).catch(() => {});
      forced = await outlasts(this.exited, graceMs);
      if (forced) await this.signal('SIGKILL').catch(() => {});
    }
    // The leader's exit ends the ssh session; members it forked may still hold the group.
    const res = await this.exitedWithin(10_000);
    for (let i = 0; i < 50; i++) {
      const left = await this.host.processesInGroup(this.pid).catch(() => []);
      if (left.length === 0) break;
      await this.host.killGroup(this.pid, 'SIGKILL').catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ...res, forced };
  }

  /** The exit, or the local ssh client's end when the remote side never reports one. */
  private async exitedWithin(ms: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exited, new Promise<null>((res) => (timer = setTimeout(() => res(null), ms)))]);
    if (timer) clearTimeout(timer);
    if (r) return r;
    this.killLocal();
    return this.exited;
  }

  /** Ends the local ssh client (its stdin closes first, which fires the remote switch). */
  killLocal(): void {
    this.child.stdin?.end();
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function signalName(n: number): NodeJS.Signals {
  for (const [name, num] of Object.entries(osConstants.signals)) if (num === n) return name as NodeJS.Signals;
  return 'SIGKILL';
}
