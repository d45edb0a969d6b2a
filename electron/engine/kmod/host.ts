// Can this host load saio.ko? Each reason it cannot is named exactly, with what to do, so that a
// run skips the saio-kmod points and says why instead of failing.
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';

export interface HostFacts {
  kernel: string;
  uid: number;
  /** /proc/modules exists: the kernel was built with loadable-module support. */
  moduleSupport: boolean;
  /** /proc/sys/kernel/modules_disabled is 1: loading was switched off until reboot. */
  modulesDisabled: boolean;
  /** The active lockdown mode ("none", "integrity", "confidentiality") or null if not exposed. */
  lockdown: string | null;
  /** A kbuild tree for the running kernel (/lib/modules/KVER/build). */
  headers: string | null;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

export function hostFacts(): HostFacts {
  const kernel = release();
  const lockdown = read('/sys/kernel/security/lockdown');
  const build = join('/lib/modules', kernel, 'build');
  return {
    kernel,
    uid: process.getuid?.() ?? -1,
    moduleSupport: existsSync('/proc/modules'),
    modulesDisabled: read('/proc/sys/kernel/modules_disabled') === '1',
    // The file lists every mode with the active one in brackets: "none [integrity] confidentiality".
    lockdown: lockdown === null ? null : (/\[(\w+)\]/.exec(lockdown)?.[1] ?? lockdown),
    headers: existsSync(join(build, 'Makefile')) ? build : null,
  };
}

/** null when saio.ko can be built and loaded here; otherwise every reason it cannot. */
export function cannotLoadModules(f: HostFacts): string | null {
  const why: string[] = [];
  if (!f.moduleSupport) why.push(`kernel ${f.kernel} has no loadable-module support (/proc/modules is missing): boot a kernel built with CONFIG_MODULES, or use the QEMU harness (npm run test:kmod)`);
  if (f.modulesDisabled) why.push('module loading is disabled (/proc/sys/kernel/modules_disabled = 1) until the next reboot');
  if (f.lockdown === 'integrity' || f.lockdown === 'confidentiality') why.push(`the kernel is locked down (${f.lockdown}): unsigned modules are refused (sign saio.ko with a key the kernel trusts, or boot without lockdown)`);
  if (f.uid !== 0) why.push('loading a module needs root: run the lab as root (or with CAP_SYS_MODULE)');
  if (f.moduleSupport && !f.headers) why.push(`no kernel headers for ${f.kernel} (/lib/modules/${f.kernel}/build): install linux-headers-${f.kernel}`);
  return why.length === 0 ? null : why.join('; ');
}
