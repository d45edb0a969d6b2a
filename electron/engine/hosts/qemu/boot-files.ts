// What a guest boots: Debian's stock kernel (found by kmod/scripts/debian-kernel.sh, never named
// here), unpacked to vmlinux (PVH boots it directly, about twice as fast as the bzImage), and a
// small initramfs — static busybox, the guest kernel's own virtio, 9p and overlay modules (with
// their dependencies from modules.dep) and init.sh. Both are cached by content under
// ~/.cache/saio-lab/qemu; per-boot keys are not in them (they come through the boot share).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { debianKernel } from '../../kmod/debian-kernel';
import { forChildProcess, repoRoot } from '../../paths';

export interface GuestKernel {
  version: string;
  /** What QEMU boots: the unpacked vmlinux when it could be made, else the image itself. */
  kernel: string;
  /** The compressed image it came from. */
  image: string;
  modulesDir: string;
}

/** Modules the initramfs loads before it can mount the host's root (dependencies added). */
export const INITRAMFS_MODULES = ['virtio_pci', 'virtio_net', '9pnet_virtio', '9p', 'overlay'];

export function cacheDir(): string {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'saio-lab', 'qemu');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** "debian" (the newest Debian kernel with its headers) or a path to /boot/vmlinuz-VERSION. */
export function guestKernel(spec: string = 'debian'): GuestKernel {
  let version: string;
  let image: string;
  if (spec === 'debian') {
    const k = debianKernel();
    if ('missing' in k) throw new Error(`no Debian kernel to boot a guest: ${k.missing}`);
    ({ version, image } = k);
  } else {
    const m = /vmlinuz-(.+)$/.exec(basename(spec));
    if (!m || !existsSync(spec)) throw new Error(`guest kernel ${spec}: expected an existing /boot/vmlinuz-VERSION (its modules in /lib/modules/VERSION)`);
    version = m[1] as string;
    image = spec;
  }
  const modulesDir = join('/lib/modules', version);
  if (!existsSync(join(modulesDir, 'modules.dep'))) throw new Error(`guest kernel ${version}: ${modulesDir}/modules.dep is missing (install linux-image-${version})`);
  return { version, image, modulesDir, kernel: unpackedKernel(image, version) };
}

/** The vmlinux inside a bzImage (its XZ stream, as the kernel's scripts/extract-vmlinux finds it). */
function unpackedKernel(image: string, version: string): string {
  const st = statSync(image);
  const out = join(cacheDir(), `vmlinux-${version}-${st.size}-${Math.trunc(st.mtimeMs)}`);
  if (existsSync(out)) return out;
  const data = readFileSync(image);
  const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) return image;
  const r = spawnSync('xz', ['-dcq'], { input: data.subarray(at), maxBuffer: 1 << 30, timeout: 120_000 });
  const elf = r.stdout;
  // xz stops with an error at the trailing bytes after the stream; the ELF it wrote is whole.
  if (!elf || elf.length < 1 << 20 || elf.subarray(0, 4).toString('latin1') !== '\x7fELF') return image;
  writeFileSync(`${out}.tmp`, elf);
  renameSync(`${out}.tmp`, out);
  return out;
}

/** Modules in load order (each after what it depends on), as paths relative to modulesDir. */
export function moduleLoadOrder(depText: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of depText.split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod || rest === undefined) continue;
    deps.set(mod, rest.trim().split(/\s+/).filter(Boolean));
    byName.set(
      basename(mod)
        .replace(/\.ko(\.[a-z]+)?$/, '')
        .replace(/-/g, '_'),
      mod,
    );
  }
  const order: string[] = [];
  const visit = (mod: string, path: string[]) => {
    if (order.includes(mod)) return;
    if (path.includes(mod)) throw new Error(`modules.dep has a cycle: ${[...path, mod].join(' -> ')}`);
    for (const d of deps.get(mod) ?? []) visit(d, [...path, mod]);
    order.push(mod);
  };
  for (const w of wanted) {
    const mod = byName.get(w.replace(/-/g, '_'));
    if (!mod) continue; // built into this kernel
    visit(mod, []);
  }
  return order;
}

export function staticBusybox(): string {
  for (const b of ['/bin/busybox', '/usr/bin/busybox']) {
    if (existsSync(b) && spawnSync('ldd', [b], { encoding: 'utf8' }).status !== 0) return b;
  }
  throw new Error('no static busybox for the guest initramfs: apt-get install busybox-static');
}

export function initScript(): string {
  return forChildProcess(join(repoRoot(), 'electron', 'engine', 'hosts', 'qemu', 'init.sh'));
}

/** The initramfs for `k`, built once per content (kernel version, modules, busybox, init.sh). */
export function guestInitramfs(k: GuestKernel): string {
  const busybox = staticBusybox();
  const init = readFileSync(initScript());
  const order = moduleLoadOrder(readFileSync(join(k.modulesDir, 'modules.dep'), 'utf8'), INITRAMFS_MODULES);
  const key = createHash('sha256').update(k.version).update(init).update(order.join('\n')).update(readFileSync(busybox)).digest('hex').slice(0, 16);
  const out = join(cacheDir(), `initramfs-${k.version}-${key}.cpio.gz`);
  if (existsSync(out)) return out;
  const stage = mkdtempSync(join(cacheDir(), 'stage-'));
  try {
    for (const d of ['bin', 'dev', 'proc', 'sys', 'host', 'etc', 'modules', 'ovl']) mkdirSync(join(stage, d));
    copyFileSync(busybox, join(stage, 'bin', 'busybox'));
    writeFileSync(join(stage, 'init'), init, { mode: 0o755 });
    const names: string[] = [];
    for (const m of order) {
      const name = basename(m).replace(/\.(xz|zst|gz)$/, '');
      const src = join(k.modulesDir, m);
      if (m.endsWith('.ko')) copyFileSync(src, join(stage, 'modules', name));
      else {
        const tool = m.endsWith('.xz') ? 'xz' : m.endsWith('.zst') ? 'zstd' : 'gzip';
        const r = spawnSync(tool, ['-dc', src], { maxBuffer: 1 << 28 });
        if (r.status !== 0) throw new Error(`cannot unpack ${src} with ${tool}`);
        writeFileSync(join(stage, 'modules', name), r.stdout);
      }
      names.push(name);
    }
    writeFileSync(join(stage, 'modules', 'order'), `${names.join('\n')}\n`);
    const r = spawnSync('sh', ['-c', 'busybox_link=bin/sh; ln -s busybox "$busybox_link" && mknod dev/console c 5 1 2>/dev/null; find . | cpio -o -H newc --quiet | gzip -1'], {
      cwd: stage,
      maxBuffer: 1 << 28,
      timeout: 60_000,
    });
    if (r.status !== 0 || r.stdout.length === 0) throw new Error(`cannot pack the guest initramfs (cpio, gzip): ${r.stderr.toString()}`);
    writeFileSync(`${out}.tmp`, r.stdout);
    renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
