// Starting QEMU: the command line of a lab guest, the process in its own group with its console
// captured, and the accelerator probe. KVM is used only when a short boot under it reaches the
// initramfs (on some machines /dev/kvm exists but a KVM guest hangs at boot); otherwise TCG.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { Console } from './console';

export type Accel = 'kvm' | 'tcg';

export interface QemuBoot {
  qemu?: string;
  accel: Accel;
  cpus: number;
  memoryMb: number;
  kernel: string;
  initramfs: string;
  append: string;
  /** -virtfs shares: tag → host directory (always read-only). */
  shares?: Record<string, string>;
  /** User-mode network with these forwards (127.0.0.1:host → guest port); none: no NIC. */
  forwards?: { host: number; guest: number }[];
  /** HMP monitor on this unix socket. */
  monitor?: string;
}

export function qemuArgv(b: QemuBoot): string[] {
  const a = [b.qemu ?? 'qemu-system-x86_64', '-nodefaults', '-no-reboot', '-machine', 'q35'];
  a.push('-accel', b.accel, '-cpu', b.accel === 'kvm' ? 'host' : 'max', '-smp', String(b.cpus), '-m', String(b.memoryMb));
  a.push('-kernel', b.kernel, '-initrd', b.initramfs, '-append', b.append);
  a.push('-display', 'none', '-serial', 'stdio');
  a.push('-monitor', b.monitor ? `unix:${b.monitor},server=on,wait=off` : 'none');
  for (const [tag, path] of Object.entries(b.shares ?? {})) {
    if (/[,\s]/.test(path) || !/^[a-z0-9-]+$/.test(tag)) throw new Error(`share ${tag}=${path}: a path with "," or a space cannot be given to -virtfs`);
    a.push('-virtfs', `local,path=${path},mount_tag=${tag},security_model=none,readonly=on,multidevs=remap`);
  }
  if (b.forwards) {
    // restrict=on: the guest reaches nothing outside (not even this host); forwards still work.
    const fwd = b.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.host}-10.0.2.15:${f.guest}`).join('');
    a.push('-netdev', `user,id=n0,restrict=on${fwd}`, '-device', 'virtio-net-pci,netdev=n0');
  }
  return a;
}

export interface RunningQemu {
  child: ChildProcess;
  console: Console;
  stderr: () => string;
  /** Resolves when QEMU has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to QEMU's process group; resolves when it is gone. */
  kill: () => Promise<void>;
}

export function startQemu(b: QemuBoot, consolePath?: string): RunningQemu {
  const argv = qemuArgv(b);
  const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const console = new Console(consolePath);
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => console.push(d));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (e) => {
      stderr += `cannot run ${argv[0]}: ${e.message}`;
      void console.end().then(() => resolve({ code: null, signal: null }));
    });
    child.once('close', (code, signal) => void console.end().then(() => resolve({ code, signal })));
  });
  const kill = async () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await exited;
  };
  return { child, console, stderr: () => stderr, exited, kill };
}

export interface AccelChoice {
  accel: Accel;
  /** Why this one: "kvm probe booted in 1.2 s", "no /dev/kvm", "kvm probe: no console output within 20 s". */
  reason: string;
}

/**
 * Boots the kernel under KVM with saio_probe=1 (init says SAIO-GUEST-PROBE-OK and powers off) and
 * waits at most timeoutMs; QEMU is killed whatever happens. TCG when the probe fails.
 */
export async function probeAccel(o: { qemu?: string; kernel: string; initramfs: string; timeoutMs: number; kvmDevice?: string }): Promise<AccelChoice> {
  const dev = o.kvmDevice ?? '/dev/kvm';
  try {
    accessSync(dev, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    return { accel: 'tcg', reason: `no usable ${dev}` };
  }
  const t0 = Date.now();
  const q = startQemu({ qemu: o.qemu, accel: 'kvm', cpus: 1, memoryMb: 256, kernel: o.kernel, initramfs: o.initramfs, append: 'console=ttyS0 quiet panic=-1 saio_probe=1' });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    q.console.waitFor((l) => l.includes('SAIO-GUEST-PROBE-OK')).then(() => 'ok' as const),
    q.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), o.timeoutMs))),
  ]);
  if (timer) clearTimeout(timer);
  const took = ((Date.now() - t0) / 1000).toFixed(1);
  await q.kill();
  if (outcome === 'ok') return { accel: 'kvm', reason: `kvm probe reached the initramfs in ${took} s` };
  if (outcome === 'timeout') return { accel: 'tcg', reason: `kvm probe: the guest did not reach its initramfs within ${o.timeoutMs / 1000} s (KVM hangs here)` };
  const why = q.stderr().trim().split('\n').pop() || `qemu exited (${(await q.exited).code})`;
  return { accel: 'tcg', reason: `kvm probe failed: ${why}` };
}
