// The module step inside a QEMU guest (issue 14): saio.ko is built on this machine against the
// guest kernel's own Debian headers (the guest has no compiler of its own to trust: its root is
// this machine's, read-only), copied into the guest's run directory, and loaded there by the same
// kmod/scripts/module-step.sh, which the guest sees at the same path through the shared root.
// Every call goes through GuestHost.exec, so kernel trouble on the guest's console while insmod,
// rmmod or dmesg ran fails that call with the lines quoted; a guest that died says so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestHost } from '../hosts/qemu/guest';
import type { HostFacts } from './host';
import type { ModuleHost, StepResult } from './module-step';

/** insmod and rmmod live in /sbin; the script's tools (awk, grep, sed, dmesg) in /usr/bin and /bin. */
const GUEST_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/** The kbuild tree on this machine for a kernel version, or null when its headers are not installed. */
export function headersFor(version: string, root = ''): string | null {
  const dir = `${root}/usr/src/linux-headers-${version}`;
  return existsSync(join(dir, 'Makefile')) ? dir : null;
}

/** Parses the facts script's output (one value per line: uname -r, id -u, /proc/modules, modules_disabled, lockdown). */
export function parseGuestFacts(text: string, headers: (version: string) => string | null): HostFacts {
  const [kernel = '', uid = '', modules = '', disabled = '', lockdown = ''] = text.split('\n').map((l) => l.trim());
  return {
    kernel,
    uid: /^\d+$/.test(uid) ? Number(uid) : -1,
    moduleSupport: modules === 'yes',
    modulesDisabled: disabled === '1',
    lockdown: lockdown === '-' || lockdown === '' ? null : (/\[(\w+)\]/.exec(lockdown)?.[1] ?? lockdown),
    headers: kernel ? headers(kernel) : null,
  };
}

const FACTS_SCRIPT =
  'uname -r; id -u; if [ -e /proc/modules ]; then echo yes; else echo no; fi; cat /proc/sys/kernel/modules_disabled 2>/dev/null || echo -; cat /sys/kernel/security/lockdown 2>/dev/null || echo -';

export function guestModuleHost(guest: GuestHost): ModuleHost {
  return {
    async facts() {
      const r = await guest.exec(['sh', '-c', FACTS_SCRIPT], { timeoutMs: 60_000, env: GUEST_ENV });
      if (r.code !== 0) throw new Error(`${guest.name}: reading the guest kernel's facts failed (exit ${r.code}): ${r.stderr.trim()}`);
      return parseGuestFacts(r.stdout, (v) => headersFor(v));
    },
    async run(argv: readonly string[], timeoutMs: number): Promise<StepResult> {
      try {
        const r = await guest.exec(argv, { timeoutMs, env: GUEST_ENV });
        return { code: r.killed ? null : r.code, stdout: r.stdout, stderr: r.killed ? `${r.stderr}\n${r.killed}\n` : r.stderr };
      } catch (e) {
        // Kernel trouble while it ran (the lines quoted) or a guest that died.
        return { code: null, stdout: '', stderr: `${(e as Error).message}\n` };
      }
    },
    async place(localKo: string) {
      const dir = `${guest.runDir}/kmod`;
      await guest.mkdirp(dir);
      const there = `${dir}/saio.ko`;
      await guest.writeFile(there, readFileSync(localKo), { mode: 0o644 });
      return there;
    },
    readTextFiles: (paths) => guest.readTextFiles(paths),
    listDir: (path) => guest.listDir(path),
  };
}
