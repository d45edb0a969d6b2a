// This machine as a Host: thin adapters over what the runner already does here (processes.ts,
// procfs.ts, net.ts, environment.ts, cpus.ts), with their behaviour unchanged. The one addition
// is the same pid-file record an SSH host keeps (runDir/procs/N-ROLE.pid: "PID STARTTICKS ROLE"),
// so cleanup() can stop what a run left here without the store.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { allowedCpus as localAllowedCpus } from '../runner/cpus';
import { captureEnvironment } from '../runner/environment';
import { freePort as loopbackFreePort } from '../runner/net';
import { findExecutable, RunningProcess } from '../runner/processes';
import { isSameProcess, processesInGroup, processStat, socketInodesOf, tasksOf } from '../runner/procfs';
import { clockOffsetOf, networkPathOf, toolVersions } from './facts';
import {
  checkSignal,
  ROLE,
  type CleanupReport,
  type ClockOffset,
  type ExecOptions,
  type ExecResult,
  type ExitStatus,
  type Host,
  type HostEnvironment,
  type HostProcess,
  type NetworkPath,
  type ProcessSample,
  type SpawnOptions,
  type ToolProbe,
} from './types';

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

class LocalProcess implements HostProcess {
  constructor(
    private readonly p: RunningProcess,
    private readonly pidFile: string,
  ) {
    void p.exited.then(() => rmSync(pidFile, { force: true }));
  }
  get role() {
    return this.p.role;
  }
  get argv() {
    return this.p.argv;
  }
  get pid() {
    return this.p.pid;
  }
  get startTicks() {
    return this.p.startTicks;
  }
  get exited() {
    return this.p.exited;
  }
  get running() {
    return this.p.running;
  }
  get stdout() {
    return this.p.stdout;
  }
  /** The wrapped process, for code that still takes a RunningProcess. */
  get process(): RunningProcess {
    return this.p;
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    this.p.signal(sig);
  }
  stop(sig: NodeJS.Signals, graceMs: number): Promise<ExitStatus & { forced: boolean }> {
    return this.p.stop(sig, graceMs);
  }
}

export class LocalHost implements Host {
  readonly kind = 'local' as const;
  readonly address = 'local';
  private seq = 0;

  /** runDir: the run's directory on this machine (the runner's own run directory). */
  constructor(
    readonly runDir: string,
    readonly name = 'local',
  ) {}

  async open(): Promise<void> {
    mkdirSync(join(this.runDir, 'procs'), { recursive: true });
  }

  async close(): Promise<void> {
    await this.cleanup();
  }

  async spawn(o: SpawnOptions): Promise<LocalProcess> {
    if (!ROLE.test(o.role)) throw new Error(`role ${JSON.stringify(o.role)}: expected 1 to 32 of a-z, 0-9, "-"`);
    await this.open();
    const p = await RunningProcess.start(o);
    const pidFile = join(this.runDir, 'procs', `${++this.seq}-${o.role}.pid`);
    writeFileSync(pidFile, `${p.pid} ${p.startTicks} ${o.role}\n`);
    return new LocalProcess(p, pidFile);
  }

  exec(argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
    const [program, ...args] = argv as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const env = { ...process.env, PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:${SBIN.join(':')}`, LC_ALL: 'C', ...o.env };
      const child = spawn(program, args, { cwd: o.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let killed: string | null = null;
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      const kill = (why: string) => {
        killed ??= why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      };
      const timer = setTimeout(() => kill(`timed out after ${o.timeoutMs / 1000} s`), o.timeoutMs);
      const onAbort = () => kill('cancelled');
      if (o.signal?.aborted) onAbort();
      o.signal?.addEventListener('abort', onAbort);
      const finish = () => {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
      };
      child.once('error', (e) => {
        finish();
        reject(e);
      });
      child.once('close', (code, signal) => {
        finish();
        // Members the leader forked into its group go with it (as on an SSH host).
        if (killed && child.pid !== undefined && processesInGroup(child.pid).length > 0) kill(killed);
        resolve({ code, signal, stdout, stderr, killed });
      });
    });
  }

  async killGroup(pgid: number, sig: NodeJS.Signals): Promise<void> {
    checkSignal(sig);
    try {
      process.kill(-pgid, sig);
    } catch {
      // no such group
    }
  }

  async processesInGroup(pgid: number): Promise<number[]> {
    return processesInGroup(pgid);
  }

  async sampleProcesses(sel: { groups?: readonly number[]; pids?: readonly number[] }): Promise<ProcessSample[]> {
    const pids = new Set(sel.pids ?? []);
    for (const g of sel.groups ?? []) for (const p of processesInGroup(g)) pids.add(p);
    const out: ProcessSample[] = [];
    for (const pid of pids) {
      const stat = processStat(pid);
      if (stat) out.push({ pid, stat, tasks: tasksOf(pid) });
    }
    return out;
  }

  async socketInodes(pids: readonly number[]): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    for (const pid of pids) {
      const inodes = socketInodesOf(pid);
      if (inodes) out.set(pid, inodes);
    }
    return out;
  }

  async readTextFiles(paths: readonly string[]): Promise<(string | null)[]> {
    return paths.map((p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    });
  }

  async readFile(path: string): Promise<Buffer> {
    return readFileSync(path);
  }

  async writeFile(path: string, data: Buffer | string, o: { mode?: number } = {}): Promise<void> {
    const tmp = `${path}.saio-tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(tmp, data, { mode: o.mode ?? 0o644 });
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  async listDir(path: string): Promise<string[]> {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  }

  async mkdirp(path: string): Promise<void> {
    mkdirSync(path, { recursive: true });
  }

  async remove(path: string): Promise<void> {
    rmSync(path, { recursive: true, force: true });
  }

  async sha256(path: string): Promise<string | null> {
    if (!existsSync(path)) return null;
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  }

  async which(program: string): Promise<string | null> {
    return findExecutable(program, `${process.env.PATH ?? ''}:${SBIN.join(':')}`) ?? null;
  }

  async allowedCpus(): Promise<number[]> {
    return localAllowedCpus();
  }

  /** Binds port 0 on `address` and releases it (net.ts's freePort for 127.0.0.1). */
  freePort(address: string): Promise<number> {
    if (address === '127.0.0.1') return loopbackFreePort();
    return new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, address, () => {
        const a = srv.address();
        const port = typeof a === 'object' && a ? a.port : 0;
        srv.close(() => resolve(port));
      });
    });
  }

  async environment(tools: readonly ToolProbe[]): Promise<HostEnvironment> {
    const e = await captureEnvironment({ server: '', serverVersion: '', driver: '', driverVersion: '' });
    return {
      host: this.name,
      kind: 'local',
      address: 'local',
      captured_at: e.captured_at,
      kernel: e.kernel,
      kernel_cmdline: e.kernel_cmdline,
      os: e.os,
      cpu_model: e.cpu_model,
      cpus: e.cpus,
      memory_bytes: e.memory_bytes,
      tools: await toolVersions(this, tools),
      extra: { ...e.extra, node: e.node, git_commit: e.git_commit ?? 'unknown', git_dirty: String(e.git_dirty) },
    };
  }

  /** The lab's own clock: no offset, no uncertainty beyond a local date call. */
  clockOffset(): Promise<ClockOffset> {
    return clockOffsetOf(this, 3);
  }

  networkPath(to: string): Promise<NetworkPath> {
    return networkPathOf(this, to);
  }

  async cleanup(): Promise<CleanupReport> {
    const dir = join(this.runDir, 'procs');
    const report: CleanupReport = { host: this.name, stopped: [], left: [] };
    for (const f of await this.listDir(dir)) {
      if (!f.endsWith('.pid')) continue;
      let text: string;
      try {
        text = readFileSync(join(dir, f), 'utf8');
      } catch {
        continue; // exited and removed between the listing and the read
      }
      const [pid, start, role] = text.trim().split(' ');
      const n = Number(pid);
      const leaderGone = processStat(n) === null;
      if (Number.isInteger(n) && n > 0 && (isSameProcess(n, start ?? '') || (leaderGone && processesInGroup(n).length > 0))) {
        await this.killGroup(n, 'SIGKILL');
        for (let i = 0; i < 100 && processesInGroup(n).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
        (processesInGroup(n).length > 0 ? report.left : report.stopped).push(`${n} ${role}`);
      }
      rmSync(join(dir, f), { force: true }); // its exit may have removed it meanwhile
    }
    return report;
  }
}
