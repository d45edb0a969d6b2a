// A QEMU guest as a Host (notebook: "host": {"kind": "qemu", "cpus", "memory_mb", "kernel"}):
// Debian's stock kernel booted with this machine's root filesystem shared read-only over 9p, so
// the guest runs the host's own nginx, saio-load, libsaio and Node, and with its own sshd (keys
// made for this boot), reached through a user-mode network forward on 127.0.0.1 — from there on it
// is an SshHost. Added here: the accelerator (kvm|tcg, probed), the console (an artifact; kernel
// trouble in it fails what ran, with the lines quoted), and a guest that dies is said to have died.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../runner/net';
import { SshHost } from '../ssh';
import {
  HostError,
  type CleanupReport,
  type ClockOffset,
  type ExecOptions,
  type ExecResult,
  type Host,
  type HostEnvironment,
  type HostProcess,
  type NetworkPath,
  type ProcessSample,
  type SpawnOptions,
  type ToolProbe,
} from '../types';
import { guestInitramfs, guestKernel, type GuestKernel } from './boot-files';
import { probeAccel, startQemu, type Accel, type AccelChoice, type RunningQemu } from './qemu';

export interface GuestSpec {
  cpus?: number;
  memory_mb?: number;
  /** "debian" (default) or /boot/vmlinuz-VERSION. */
  kernel?: string;
  /** auto (default): KVM when the probe boots, else TCG. */
  accel?: 'auto' | Accel;
}

export interface GuestOptions extends GuestSpec {
  name: string;
  runId: string;
  /** Local file for the console (an artifact); default: in the guest's private directory. */
  consolePath?: string;
  bootTimeoutMs?: number;
  probeTimeoutMs?: number;
  qemu?: string;
  onProgress?: (line: string) => void;
}

/** Kernel trouble on the guest's console while something ran. */
export class GuestKernelTrouble extends HostError {
  constructor(
    host: string,
    readonly lines: string[],
    what: string,
  ) {
    super(
      host,
      'failed',
      `${host}: guest kernel trouble during ${what}: ${lines
        .slice(0, 8)
        .map((l) => JSON.stringify(l))
        .join('; ')}`,
    );
    this.name = 'GuestKernelTrouble';
  }
}

let accelCache: Promise<AccelChoice> | null = null;

/** The accelerator for this lab process: probed once (a probe boots a guest). */
export function chooseAccel(o: { want?: 'auto' | Accel; qemu?: string; kernel: GuestKernel; initramfs: string; timeoutMs?: number }): Promise<AccelChoice> {
  if (o.want === 'tcg') return Promise.resolve({ accel: 'tcg', reason: 'asked for tcg' });
  const probe = () => probeAccel({ qemu: o.qemu, kernel: o.kernel.kernel, initramfs: o.initramfs, timeoutMs: o.timeoutMs ?? 20_000 });
  if (o.want === 'kvm') return probe();
  accelCache ??= probe();
  return accelCache;
}

const SSHD_CONFIG = `# sshd of a lab guest (electron/engine/hosts/qemu/guest.ts)
ListenAddress 10.0.2.15:22
HostKey /run/saio-guest/ssh_host_ed25519_key
AuthorizedKeysFile /run/saio-guest/authorized_keys
PidFile /run/saio-guest/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
MaxSessions 128
MaxStartups 64
`;

export class GuestHost implements Host {
  readonly kind = 'qemu' as const;
  readonly address: string;
  private ssh!: SshHost;
  private died: string | null = null;
  private syncSeq = 0;
  /** Trouble seen on the console, kept for the run's verdict. */
  readonly trouble: string[] = [];
  bootMs = 0;

  private constructor(
    readonly name: string,
    readonly accel: AccelChoice,
    readonly kernel: GuestKernel,
    private readonly q: RunningQemu,
    private readonly dir: string,
    readonly sshPort: number,
    private readonly monitorPath: string,
  ) {
    this.address = `qemu:${accel.accel}:${kernel.version}`;
    void q.exited.then(({ code, signal }) => {
      const tail = q.console
        .tail(5)
        .filter((l) => l.trim())
        .join(' | ');
      this.died = `the guest's QEMU (pid ${q.child.pid}) ${signal ? `was killed by ${signal}` : `exited with status ${code}`}${tail ? `; console: ${tail}` : ''}`;
    });
  }

  static async boot(o: GuestOptions): Promise<GuestHost> {
    const t0 = Date.now();
    const say = (l: string) => o.onProgress?.(l);
    const kernel = guestKernel(o.kernel ?? 'debian');
    const initramfs = guestInitramfs(kernel);
    say(`guest kernel ${kernel.version}`);
    const accel = await chooseAccel({ want: o.accel ?? 'auto', qemu: o.qemu, kernel, initramfs, timeoutMs: o.probeTimeoutMs });
    say(`accel ${accel.accel} (${accel.reason})`);
    const dir = mkdtempSync(join(tmpdir(), 'saio-guest-'));
    const boot = join(dir, 'boot');
    mkdirSync(boot);
    const keygen = (file: string, comment: string) => {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`ssh-keygen failed (apt-get install openssh-client): ${r.stderr}`);
    };
    keygen(join(boot, 'ssh_host_ed25519_key'), `saio-lab guest ${o.name} host key`);
    keygen(join(dir, 'client_ed25519'), `saio-lab guest ${o.name} client`);
    writeFileSync(join(boot, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')));
    writeFileSync(join(boot, 'sshd_config'), SSHD_CONFIG);
    const port = await freePort();
    const hostKey = readFileSync(join(boot, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
    writeFileSync(
      join(dir, 'ssh_config'),
      `Host *\n  User root\n  IdentityFile ${join(dir, 'client_ed25519')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n  # the post-quantum hybrid key exchange costs seconds under TCG; the link is local\n  KexAlgorithms curve25519-sha256\n`,
    );
    const monitor = join(dir, 'monitor');
    const q = startQemu(
      {
        qemu: o.qemu,
        accel: accel.accel,
        cpus: o.cpus ?? 2,
        memoryMb: o.memory_mb ?? 1024,
        kernel: kernel.kernel,
        initramfs,
        append: 'console=ttyS0 quiet loglevel=5 panic=-1 tsc=reliable',
        shares: { 'saio-root': '/', 'saio-boot': boot },
        forwards: [{ host: port, guest: 22 }],
        monitor,
      },
      o.consolePath ?? join(dir, 'console.log'),
    );
    const g = new GuestHost(o.name, accel, kernel, q, dir, port, monitor);
    try {
      const limit = o.bootTimeoutMs ?? 180_000;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        q.console.waitFor((l) => l.startsWith('SAIO-GUEST-READY') || l.startsWith('SAIO-GUEST-FAIL')),
        q.exited.then(() => 'exited'),
        new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), limit))),
      ]);
      if (timer) clearTimeout(timer);
      if (outcome !== 'SAIO-GUEST-READY') {
        const why =
          outcome === 'timeout'
            ? `did not come up within ${limit / 1000} s`
            : outcome === 'exited'
              ? `QEMU exited (${q.stderr().trim().split('\n').pop() ?? ''})`
              : outcome.replace('SAIO-GUEST-FAIL: ', 'its init failed: ');
        throw new HostError(o.name, 'unreachable', `${o.name}: the guest (${accel.accel}, kernel ${kernel.version}) ${why}; console: ${q.console.tail(8).join(' | ')}`);
      }
      say('guest sshd up');
      g.ssh = g.session(o.runId);
      await g.ssh.open();
      g.bootMs = Date.now() - t0;
      say(`guest up in ${(g.bootMs / 1000).toFixed(1)} s`);
      return g;
    } catch (e) {
      await g.shutdown();
      throw e;
    }
  }

  /** The ssh connection (and remote run directory) of one run in this guest. */
  private session(runId: string): SshHost {
    return new SshHost({
      name: this.name,
      destination: `ssh://root@127.0.0.1:${this.sshPort}`,
      configFile: join(this.dir, 'ssh_config'),
      runId,
      remoteBase: '/run/saio-lab/runs',
      kind: 'qemu',
      connectTimeoutS: 20,
    });
  }

  /**
   * A guest kept up across runs (GuestPool): the next run gets its own connection and run
   * directory; what the previous run left is stopped and removed first.
   */
  async beginRun(runId: string): Promise<void> {
    if (this.died) throw new HostError(this.name, 'gone', `${this.name}: the guest is gone: ${this.died}`);
    if (this.ssh.o.runId === runId) return;
    await this.ssh.close().catch(() => {});
    this.ssh = this.session(runId);
    await this.guard('connect', () => this.ssh.open());
  }

  /** The end of one run in a guest that stays up: its processes stopped, its directory removed, its connection closed. */
  async endRun(): Promise<void> {
    if (this.died) await this.ssh.close({ cleanup: false }).catch(() => {});
    else await this.ssh.close().catch(() => {});
  }

  /** The console lines from `mark` on (a run's share of the guest's console). */
  consoleSince(mark: number): string[] {
    return this.q.console.lines.slice(mark);
  }

  get runDir(): string {
    return this.ssh.runDir;
  }

  get console(): readonly string[] {
    return this.q.console.lines;
  }

  get qemuPid(): number | undefined {
    return this.q.child.pid;
  }

  /** After a failure: why the guest is gone (QEMU's exit may be seen a moment later), or null while it runs. */
  async settle(ms = 1500): Promise<string | null> {
    if (!this.died) await Promise.race([this.q.exited, new Promise((r) => setTimeout(r, ms))]);
    return this.died;
  }

  /** Why the guest is gone, or null while it runs. */
  get dead(): string | null {
    return this.died;
  }

  /** A port of this machine (127.0.0.1) forwarded to `guestPort` of the guest (QEMU's hostfwd_add). */
  async forward(guestPort: number): Promise<number> {
    const port = await freePort();
    const reply = await this.monitor(`hostfwd_add tcp:127.0.0.1:${port}-10.0.2.15:${Math.trunc(guestPort)}`);
    if (/error|could not|invalid/i.test(reply)) throw new Error(`${this.name}: hostfwd_add failed: ${reply.trim()}`);
    return port;
  }

  /** Removes a forward forward() added. */
  async unforward(hostPort: number): Promise<void> {
    if (this.died) return;
    await this.monitor(`hostfwd_remove tcp:127.0.0.1:${Math.trunc(hostPort)}`).catch(() => undefined);
  }

  private monitor(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.monitorPath);
      let out = '';
      let sent = false;
      s.setTimeout(10_000, () => s.destroy(new Error('the QEMU monitor did not answer')));
      s.on('data', (b) => {
        out += b.toString('utf8');
        if (!sent && out.includes('(qemu) ')) {
          sent = true;
          out = '';
          s.write(`${command}\n`);
        } else if (sent && out.includes('(qemu) ')) {
          s.end();
          // The monitor echoes the command; what follows it is the answer.
          resolve(out.slice(out.indexOf('\n') + 1).replace(/\(qemu\) $/, ''));
        }
      });
      s.on('error', reject);
    });
  }

  /**
   * Waits until the console has shown everything printed before `tag` (a line written to
   * /dev/kmsg leaves the serial port after every earlier one; without a tag, one is written now),
   * then records the trouble since `mark` and, when `what` is given, throws it.
   */
  async checkConsole(mark: number, what?: string, tag?: string): Promise<string[]> {
    if (tag === undefined) {
      tag = this.nextTag();
      await this.ssh.call(`echo '${tag}' > /dev/kmsg`, { timeoutMs: 20_000 });
    }
    const want = tag;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.q.console.waitFor((l) => l.includes(want), mark), new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    if (timer) clearTimeout(timer);
    const lines = this.q.console.troubleSince(mark);
    for (const l of lines) if (!this.trouble.includes(l)) this.trouble.push(l);
    if (what && lines.length > 0) throw new GuestKernelTrouble(this.name, lines, what);
    return lines;
  }

  private nextTag(): string {
    return `saio-console-sync ${process.pid}-${++this.syncSeq}`;
  }

  /** A console mark, for checkConsole after a point (spawned processes run longer than one call). */
  consoleMark(): number {
    return this.q.console.mark();
  }

  /** Runs f; a guest that died meanwhile turns any failure into one line saying so. */
  private async guard<T>(what: string, f: () => Promise<T>): Promise<T> {
    if (this.died) throw new HostError(this.name, 'gone', `${this.name}: cannot ${what}: ${this.died}`);
    try {
      return await f();
    } catch (e) {
      if (!this.died) await Promise.race([this.q.exited, new Promise((r) => setTimeout(r, 2000))]);
      if (this.died) throw new HostError(this.name, 'gone', `${this.name}: the guest died during ${what}: ${this.died}`);
      throw e;
    }
  }

  async open(): Promise<void> {
    await this.guard('connect', () => this.ssh.open());
  }

  /** Stops what the run left in the guest, then powers the guest off (QEMU is killed). */
  async close(): Promise<void> {
    if (!this.died && this.ssh) await this.ssh.close().catch(() => {});
    else if (this.ssh) await this.ssh.close({ cleanup: false }).catch(() => {});
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    await this.q.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async spawn(o: SpawnOptions): Promise<HostProcess> {
    return this.guard(`start ${o.argv[0]}`, () => this.ssh.spawn(o));
  }

  /** exec, failed also by kernel trouble on the console while it ran. */
  async exec(argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
    return this.guard(`run ${argv[0]}`, async () => {
      const mark = this.q.console.mark();
      // The console mark is written by the same remote script, right after the program ends.
      const tag = this.nextTag();
      const r = await this.ssh.exec(argv, o, { epilogue: `echo '${tag}' > /dev/kmsg 2>/dev/null` });
      // ssh's 255 may arrive before QEMU's exit is seen: give it a moment to tell which it was.
      if (r.code === 255) await Promise.race([this.q.exited, new Promise((res) => setTimeout(res, 2000))]);
      if (this.died) throw new Error('the connection ended');
      await this.checkConsole(mark, argv.join(' '), tag);
      return r;
    });
  }

  killGroup(pgid: number, sig: NodeJS.Signals): Promise<void> {
    return this.guard('signal a process group', () => this.ssh.killGroup(pgid, sig));
  }
  processesInGroup(pgid: number): Promise<number[]> {
    return this.guard('list a process group', () => this.ssh.processesInGroup(pgid));
  }
  sampleProcesses(sel: { groups?: readonly number[]; pids?: readonly number[] }): Promise<ProcessSample[]> {
    return this.guard('sample processes', () => this.ssh.sampleProcesses(sel));
  }
  socketInodes(pids: readonly number[]): Promise<Map<number, number[]>> {
    return this.guard('list sockets', () => this.ssh.socketInodes(pids));
  }
  readTextFiles(paths: readonly string[]): Promise<(string | null)[]> {
    return this.guard('read files', () => this.ssh.readTextFiles(paths));
  }
  readFile(path: string): Promise<Buffer> {
    return this.guard(`read ${path}`, () => this.ssh.readFile(path));
  }
  writeFile(path: string, data: Buffer | string, o?: { mode?: number }): Promise<void> {
    return this.guard(`write ${path}`, () => this.ssh.writeFile(path, data, o));
  }
  listDir(path: string): Promise<string[]> {
    return this.guard(`list ${path}`, () => this.ssh.listDir(path));
  }
  mkdirp(path: string): Promise<void> {
    return this.guard(`create ${path}`, () => this.ssh.mkdirp(path));
  }
  remove(path: string): Promise<void> {
    return this.guard(`remove ${path}`, () => this.ssh.remove(path));
  }
  sha256(path: string): Promise<string | null> {
    return this.guard(`hash ${path}`, () => this.ssh.sha256(path));
  }
  which(program: string): Promise<string | null> {
    return this.guard(`look for ${program}`, () => this.ssh.which(program));
  }
  allowedCpus(): Promise<number[]> {
    return this.guard('list CPUs', () => this.ssh.allowedCpus());
  }
  freePort(address: string): Promise<number> {
    return this.guard('find a free port', () => this.ssh.freePort(address));
  }
  async environment(tools: readonly ToolProbe[]): Promise<HostEnvironment> {
    const e = await this.guard('capture the environment', () => this.ssh.environment(tools));
    return { ...e, extra: { ...e.extra, accel: this.accel.accel, accel_reason: this.accel.reason, guest_boot_ms: String(this.bootMs) } };
  }
  clockOffset(): Promise<ClockOffset> {
    return this.guard('estimate the clock offset', () => this.ssh.clockOffset());
  }
  networkPath(to: string): Promise<NetworkPath> {
    return this.guard('find the network path', () => this.ssh.networkPath(to));
  }
  cleanup(o?: { removeRunDir?: boolean }): Promise<CleanupReport> {
    return this.guard('clean up', () => this.ssh.cleanup(o));
  }
}
