// The Debian kernel that saio.ko is built against and a QEMU guest boots: asked of
// kmod/scripts/debian-kernel.sh, the one place that decides (the newest version with both
// /boot/vmlinuz-V and /usr/src/linux-headers-V). Debian moves that version with its updates,
// so no code or test may write it down; tests that need a version string build it from here.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { forChildProcess, repoRoot } from '../paths';

export interface DebianKernel {
  /** e.g. "6.1.0-57-amd64" on one day; whatever apt installed on another. */
  version: string;
  /** The kbuild tree: /usr/src/linux-headers-VERSION. */
  headers: string;
  /** The compressed image: /boot/vmlinuz-VERSION. */
  image: string;
}

export function debianKernelScript(): string {
  return forChildProcess(join(repoRoot(), 'kmod', 'scripts', 'debian-kernel.sh'));
}

/**
 * The kernel, or why there is none (what is installed and what to install). `root` prefixes
 * /boot and /usr/src, as DEBIAN_KERNEL_ROOT does for the script.
 */
export function debianKernel(o: { root?: string } = {}): DebianKernel | { missing: string } {
  const env = { ...process.env, DEBIAN_KERNEL_ROOT: o.root ?? '' };
  const r = spawnSync('sh', [debianKernelScript(), 'all'], { encoding: 'utf8', env, timeout: 10_000 });
  if (r.error) return { missing: `cannot run ${debianKernelScript()}: ${r.error.message}` };
  if (r.status !== 0) return { missing: r.stderr.trim() || `${debianKernelScript()} exited ${r.status}` };
  const field = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(r.stdout)?.[1] ?? '';
  const kernel = { version: field('version'), headers: field('headers'), image: field('image') };
  if (!kernel.version || !kernel.headers || !kernel.image) return { missing: `${debianKernelScript()} printed no version: ${r.stdout}` };
  return kernel;
}
