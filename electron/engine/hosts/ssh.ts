// A host reached with the system's OpenSSH client — the user's ~/.ssh/config, agent, jump hosts
// and keys apply as they do for `ssh` in a terminal. One ControlMaster connection per host per
// run (ControlPath in a private directory of this lab process) carries every command; BatchMode
// means ssh never prompts (a missing key is an error, not a hang); every call has a timeout.
//
// Remote processes: remote-sh.ts's spawnScript starts each under setsid with a pid file in the
// run's remote directory and a dead man's switch on the channel's stdin; cleanup() (also usable
// by recovery after a killed lab: SshHost.cleanupRun) stops every group those pid files name.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStat, parseStatus } from '../runner/procfs';
import { clockOffsetOf, environmentOf, freePortOf, networkPathOf, parseCpuList } from './facts';
import { loginShellCommand, shQuote } from './quote';
import { cleanupScript, groupScript, killScript, listDirScript, parseSocketListing, PREAMBLE, readTextFilesScript, sampleScript, socketsScript, whichScript } from './remote-sh';
import { SshProcess, type SshProcessHost } from './ssh-process';
import { parseDestination, type Destination } from '../common/notebook/ssh-destination';
import { sshFailure } from './ssh-errors';
import {
  checkSignal,
  HostError,
  RUN_ID,
  type CleanupReport,
  type ClockOffset,
  type ExecOptions,
  type ExecResult,
  type Host,
  type HostEnvironment,
  type HostKind,
  type NetworkPath,
  type ProcessSample,
  type SpawnOptions,
  type ToolProbe,
} from './types';

export interface SshHostOptions {
  /** The notebook's name for the host. */
  name: string;
  /** ssh://user@host[:port], user@host, or a Host of the ssh config. */
  destination: string;
  runId: string;
  /** An ssh config file instead of ~/.ssh/config (ssh -F). */
  configFile?: string;
  /** More ssh options, each "Key=Value" (ssh -o). */
  sshOptions?: readonly string[];
  /** Seconds to wait for the TCP connection (ssh ConnectTimeout). Default 10. */
  connectTimeoutS?: number;
  /** Default timeout of one short call (read a file, signal a group). Default 30 s. */
  callTimeoutMs?: number;
  /** Where runs keep their files on the host; default $HOME/.cache/saio-lab/runs. */
  remoteBase?: string;
  kind?: HostKind;
  /** The ssh program; default "ssh". */
  ssh?: string;
}

const MAX_CALLS = 4; // short calls at once over the master (sshd allows 10 sessions by default)

export class SshHost implements Host, SshProcessHost {
  readonly name: string;
  readonly kind: HostKind;
  readonly address: string;
  readonly destination: Destination;
  private privateDir: string | null = null;
  private master: ChildProcess | null = null;
  private masterGone: string | null = null;
  private remoteRunDir: string | null = null;
  private opening: Promise<void> | null = null;
  private seq = 0;
  private calls = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly live = new Set<SshProcess>();

  constructor(readonly o: SshHostOptions) {
    if (!RUN_ID.test(o.runId)) throw new Error(`run id ${JSON.stringify(o.runId)}: expected 1 to 64 of A-Z a-z 0-9 . _ -`);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(o.name)) throw new Error(`host name ${JSON.stringify(o.name)}: expected 1 to 32 of A-Z a-z 0-9 _ -`);
    for (const opt of o.sshOptions ?? []) if (!/^[A-Za-z]+=\S*$/.test(opt)) throw new Error(`ssh option ${JSON.stringify(opt)}: expected Key=Value`);
    this.name = o.name;
    this.kind = o.kind ?? 'ssh';
    this.destination = parseDestination(o.destination);
    this.address = o.destination.startsWith('ssh://') ? o.destination : `ssh://${o.destination}`;
  }

  get runDir(): string {
    if (this.remoteRunDir === null) throw new Error(`${this.name}: open() the host before using its run directory`);
    return this.remoteRunDir;
  }

  /** Stops what a run left on a host, from another lab process (recovery after a killed lab). */
  static async cleanupRun(o: SshHostOptions): Promise<CleanupReport> {
    const h = new SshHost(o);
    try {
      await h.open();
      return await h.cleanup({ removeRunDir: true });
    } finally {
      await h.close({ cleanup: false });
    }
  }

  // ---- ssh itself ---------------------------------------------------------------------------

  private baseArgs(): string[] {
    const a: string[] = [];
    if (this.o.configFile) a.push('-F', this.o.configFile);
    a.push('-o', 'BatchMode=yes', '-o', `ConnectTimeout=${this.o.connectTimeoutS ?? 10}`, '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3');
    for (const opt of this.o.sshOptions ?? []) a.push('-o', opt);
    a.push('-o', `ControlPath=${join(this.privateDir as string, 'cm')}`);
    return a;
  }

  /** argv of an ssh client that runs `command` over the master (a multiplexed session). */
  clientArgv(command: string): string[] {
    if (this.masterGone) throw new HostError(this.name, 'gone', this.masterGone);
    return [this.o.ssh ?? 'ssh', ...this.baseArgs(), '-o', 'ControlMaster=no', '-T', '--', this.destination.arg, command];
  }

  nextSeq(): number {
    return ++this.seq;
  }

  connectionLost(): string | null {
    return this.masterGone;
  }

  open(): Promise<void> {
    this.opening ??= this.connect().catch((e) => {
      this.opening = null;
      throw e;
    });
    return this.opening;
  }

  private async connect(): Promise<void> {
    this.privateDir = mkdtempSync(join(tmpdir(), 'saio-ssh-'));
    this.masterGone = null;
    const argv = [
      this.o.ssh ?? 'ssh',
      ...this.baseArgs(),
      '-o',
      'ControlMaster=yes',
      '-o',
      'ControlPersist=no',
      '-T',
      '--',
      this.destination.arg,
      // The master's own session waits for its stdin to end: when this lab dies, so does the connection.
      loginShellCommand('echo SAIO-READY; exec cat >/dev/null'),
    ];
    const master = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.master = master;
    master.stdin?.on('error', () => {});
    let stderr = '';
    master.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const limitMs = (this.o.connectTimeoutS ?? 10) * 1000 + 20_000;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        this.killMaster();
        reject(new HostError(this.name, 'unreachable', `${this.name} (${this.address}): unreachable: no SSH session within ${limitMs / 1000} s`));
      }, limitMs);
      master.stdout?.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        if (out.includes('SAIO-READY\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      master.once('error', (e) => {
        clearTimeout(timer);
        reject(new HostError(this.name, 'config', `cannot run ssh for ${this.name}: ${e.message}`));
      });
      master.once('close', (code) => {
        clearTimeout(timer);
        reject(sshFailure(this.name, this.address, code, stderr));
      });
    });
    master.once('close', (code) => {
      this.masterGone = `${this.name} (${this.address}): the connection ended (ssh exit ${code})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`;
    });
    const home = this.o.remoteBase ?? `${(await this.run('printf "%s" "$HOME"')).trim()}/.cache/saio-lab/runs`;
    if (!home.startsWith('/')) throw new HostError(this.name, 'failed', `${this.name}: the remote home directory is not an absolute path (${home})`);
    this.remoteRunDir = `${home}/${this.o.runId}.${this.name}`;
    await this.run(`mkdir -p ${shQuote(`${this.remoteRunDir}/procs`)}`);
  }

  private killMaster(): void {
    try {
      if (this.master?.pid !== undefined) process.kill(-this.master.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  /** Runs a sh script over the master; rejects on ssh's own failures and on a timeout. */
  async call(script: string, o: { timeoutMs?: number; input?: Buffer | string } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    while (this.calls >= MAX_CALLS) await new Promise<void>((r) => this.waiting.push(r));
    this.calls++;
    try {
      return await this.callNow(script, o);
    } finally {
      this.calls--;
      this.waiting.shift()?.();
    }
  }

  private callNow(script: string, o: { timeoutMs?: number; input?: Buffer | string }): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const argv = this.clientArgv(loginShellCommand(script));
    const timeoutMs = o.timeoutMs ?? this.o.callTimeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let stderr = '';
      let timedOut = false;
      child.stdout?.on('data', (b: Buffer) => out.push(b));
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new HostError(this.name, 'config', `cannot run ssh for ${this.name}: ${e.message}`));
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        if (timedOut) return reject(new HostError(this.name, 'unreachable', `${this.name} (${this.address}): no answer within ${timeoutMs / 1000} s`));
        if (code === 255 && (this.masterGone || /^(ssh|mux_client|Control socket|Connection|client_loop|kex_|Permission denied|Host key)/m.test(stderr))) {
          return reject(this.masterGone ? new HostError(this.name, 'gone', this.masterGone) : sshFailure(this.name, this.address, code, stderr));
        }
        resolve({ code, stdout: Buffer.concat(out), stderr });
      });
      if (o.input !== undefined) {
        child.stdin?.on('error', () => {});
        child.stdin?.end(o.input);
      }
    });
  }

  /** call(), failing on a non-zero exit; the output as text. */
  private async run(script: string, o: { timeoutMs?: number; input?: Buffer | string } = {}): Promise<string> {
    const r = await this.call(script, o);
    if (r.code !== 0) throw new HostError(this.name, 'failed', `${this.name}: a remote step failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return r.stdout.toString('utf8');
  }

  async close(o: { cleanup?: boolean; keepRunDir?: boolean } = {}): Promise<void> {
    if (this.master && !this.masterGone && this.remoteRunDir && o.cleanup !== false) {
      for (const p of this.live) await p.stop('SIGTERM', 2000).catch(() => {});
      await this.cleanup({ removeRunDir: !o.keepRunDir }).catch(() => {});
    }
    for (const p of this.live) p.killLocal();
    if (this.master) {
      const master = this.master;
      const closed = new Promise<void>((r) => (master.exitCode !== null || master.signalCode !== null ? r() : master.once('close', () => r())));
      master.stdin?.end(); // the remote cat ends, the session ends, the master exits
      const t = setTimeout(() => this.killMaster(), 5000);
      await closed;
      clearTimeout(t);
    }
    this.master = null;
    this.opening = null;
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
    this.privateDir = null;
  }

  /** The master's pid (tests check it is gone after close). */
  get masterPid(): number | undefined {
    return this.master?.pid;
  }

  // ---- processes ----------------------------------------------------------------------------

  async spawn(o: SpawnOptions): Promise<SshProcess> {
    await this.open();
    const p = await SshProcess.start(this, { role: o.role, argv: o.argv, env: o.env, cwd: o.cwd, cpus: o.cpus, stdoutPath: o.stdoutPath, stderrPath: o.stderrPath, onOutput: o.onOutput });
    this.live.add(p);
    void p.exited.then(() => this.live.delete(p));
    return p;
  }

  /** `extra.epilogue`: sh the lab runs there after the program (see spawnScript). */
  async exec(argv: readonly string[], o: ExecOptions, extra: { epilogue?: string } = {}): Promise<ExecResult> {
    await this.open();
    let client: ChildProcess | null = null;
    let killed: string | null = null;
    let proc: SshProcess | null = null;
    const kill = (why: string) => {
      killed ??= why;
      if (proc) void proc.signal('SIGKILL').catch(() => proc?.killLocal());
      else if (client?.pid !== undefined) {
        try {
          process.kill(-client.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${o.timeoutMs / 1000} s`), o.timeoutMs);
    const onAbort = () => kill('cancelled');
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort);
    try {
      proc = await SshProcess.start(this, { role: 'exec', argv, env: o.env, cwd: o.cwd, keepAll: true, epilogue: extra.epilogue, onClient: (c) => (client = c) });
      this.live.add(proc);
      if (killed) kill(killed);
      const exit = await proc.exited;
      this.live.delete(proc);
      // Exit 255 because the connection ended is not the program's status: say what happened.
      if (proc.lostConnection) throw proc.lostConnection;
      // The leader is gone; anything it forked into the group goes too.
      if (killed) await proc.stop('SIGKILL', 0);
      return { ...exit, stdout: proc.stdout, stderr: proc.stderr, killed };
    } catch (e) {
      if (killed && !proc) return { code: null, signal: 'SIGKILL', stdout: '', stderr: (e as Error).message, killed };
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  async killGroup(pgid: number, sig: NodeJS.Signals): Promise<void> {
    await this.run(killScript(pgid, checkSignal(sig)));
  }

  async processesInGroup(pgid: number): Promise<number[]> {
    return (await this.run(groupScript(pgid))).split('\n').filter(Boolean).map(Number);
  }

  async sampleProcesses(sel: { groups?: readonly number[]; pids?: readonly number[] }): Promise<ProcessSample[]> {
    const out = (await this.call(sampleScript(sel.groups ?? [], sel.pids ?? []))).stdout.toString('utf8').split('\0');
    const samples: ProcessSample[] = [];
    for (let i = 0; i < out.length;) {
      const tag = out[i];
      if (tag === 'P') {
        const pid = Number(out[i + 1]);
        samples.push({ pid, stat: parseStat(out[i + 2] as string), tasks: [] });
        i += 3;
      } else if (tag === 'T') {
        const cur = samples[samples.length - 1];
        if (cur) cur.tasks.push({ pid: cur.pid, tid: Number(out[i + 1]), stat: parseStat(out[i + 2] as string), status: parseStatus(out[i + 3] as string) });
        i += 4;
      } else i++;
    }
    return samples;
  }

  async socketInodes(pids: readonly number[]): Promise<Map<number, number[]>> {
    if (pids.length === 0) return new Map();
    return parseSocketListing(await this.run(socketsScript(pids)));
  }

  // ---- files --------------------------------------------------------------------------------

  async readTextFiles(paths: readonly string[]): Promise<(string | null)[]> {
    await this.open();
    const parts = (await this.call(readTextFilesScript(paths))).stdout.toString('utf8').split('\0');
    return paths.map((_, i) => {
      const p = parts[i] ?? '-';
      return p.startsWith('+') ? p.slice(1) : null;
    });
  }

  async readFile(path: string): Promise<Buffer> {
    await this.open();
    const r = await this.call(`exec cat < ${shQuote(path)}`, { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${this.name}: cannot read ${path}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async writeFile(path: string, data: Buffer | string, o: { mode?: number } = {}): Promise<void> {
    await this.open();
    const tmp = `${path}.saio-tmp-${process.pid}-${this.nextSeq()}`;
    const mode = (o.mode ?? 0o644).toString(8);
    await this.run(`cat > ${shQuote(tmp)} && chmod ${mode} ${shQuote(tmp)} && mv -f ${shQuote(tmp)} ${shQuote(path)} || { rm -f ${shQuote(tmp)}; exit 1; }`, { input: data, timeoutMs: 120_000 });
  }

  async listDir(path: string): Promise<string[]> {
    await this.open();
    return (await this.run(listDirScript(path))).split('\0').filter(Boolean);
  }

  async mkdirp(path: string): Promise<void> {
    await this.open();
    await this.run(`mkdir -p ${shQuote(path)}`);
  }

  async remove(path: string): Promise<void> {
    await this.open();
    await this.run(`rm -rf ${shQuote(path)}`);
  }

  async sha256(path: string): Promise<string | null> {
    await this.open();
    const r = await this.call(`${PREAMBLE}[ -f ${shQuote(path)} ] || exit 3; sha256sum < ${shQuote(path)}`, { timeoutMs: 120_000 });
    if (r.code === 3) return null;
    const hash = /^([0-9a-f]{64})\b/.exec(r.stdout.toString('utf8'))?.[1];
    if (r.code !== 0 || !hash) throw new Error(`${this.name}: sha256sum ${path} failed: ${r.stderr.trim()}`);
    return hash;
  }

  async which(program: string): Promise<string | null> {
    await this.open();
    return (await this.run(whichScript([program]))).split('\n')[0] || null;
  }

  /** which() for several programs in one call. */
  async whichAll(programs: readonly string[]): Promise<(string | null)[]> {
    await this.open();
    const lines = (await this.run(whichScript(programs))).split('\n');
    return programs.map((_, i) => lines[i] || null);
  }

  // ---- facts --------------------------------------------------------------------------------

  async allowedCpus(): Promise<number[]> {
    const [status] = await this.readTextFiles(['/proc/self/status']);
    const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(status ?? '')?.[1];
    if (!list) throw new Error(`${this.name}: /proc/self/status has no Cpus_allowed_list`);
    return parseCpuList(list);
  }

  async freePort(_address: string): Promise<number> {
    return freePortOf(this);
  }

  environment(tools: readonly ToolProbe[]): Promise<HostEnvironment> {
    return environmentOf(this, tools);
  }

  clockOffset(): Promise<ClockOffset> {
    return clockOffsetOf(this);
  }

  networkPath(to: string): Promise<NetworkPath> {
    return networkPathOf(this, to);
  }

  async cleanup(o: { removeRunDir?: boolean } = {}): Promise<CleanupReport> {
    await this.open();
    const text = await this.run(cleanupScript({ procDir: `${this.runDir}/procs`, runDir: o.removeRunDir ? this.runDir : undefined }), { timeoutMs: 60_000 });
    const lines = text.split('\n');
    return {
      host: this.name,
      stopped: lines.filter((l) => l.startsWith('stopped ')).map((l) => l.slice(8)),
      left: lines.filter((l) => l.startsWith('left ')).map((l) => l.slice(5)),
    };
  }
}
