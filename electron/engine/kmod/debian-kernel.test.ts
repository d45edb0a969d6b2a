// Which Debian kernel the module is built against and the guest boots: the script's choice over
// made-up /boot and /usr/src trees (version order, the pairs it needs), its message when there is
// none, the same answer from dash and busybox sh, and on this host an answer that exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { debianKernel, debianKernelScript } from './debian-kernel';

const dir = mkdtempSync(join(tmpdir(), 'saio-debkernel-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((b) => existsSync(b));

/** A made-up root with these images and header trees (a tree counts only with its Makefile). */
function tree(name: string, o: { images: string[]; headers: string[]; headersWithoutMakefile?: string[] }): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'boot'), { recursive: true });
  mkdirSync(join(root, 'usr', 'src'), { recursive: true });
  for (const v of o.images) writeFileSync(join(root, 'boot', `vmlinuz-${v}`), 'image');
  for (const v of o.headers) {
    mkdirSync(join(root, 'usr', 'src', `linux-headers-${v}`), { recursive: true });
    writeFileSync(join(root, 'usr', 'src', `linux-headers-${v}`, 'Makefile'), '# kbuild');
  }
  for (const v of o.headersWithoutMakefile ?? []) mkdirSync(join(root, 'usr', 'src', `linux-headers-${v}`), { recursive: true });
  return root;
}

test('the newest version by version order (12 after 9) that has both an image and headers', () => {
  const root = tree('several', {
    images: ['7.3.0-9-fake', '7.3.0-12-fake', '7.3.0-30-fake', '7.3.0-40-fake'],
    // 30 has an empty headers directory (a removed package leaves one), 40 none; 50 no image.
    headers: ['7.3.0-9-fake', '7.3.0-12-fake', '7.3.0-50-fake', '7.3.0-12-common'],
    headersWithoutMakefile: ['7.3.0-30-fake'],
  });
  assert.deepEqual(debianKernel({ root }), {
    version: '7.3.0-12-fake',
    headers: `${root}/usr/src/linux-headers-7.3.0-12-fake`,
    image: `${root}/boot/vmlinuz-7.3.0-12-fake`,
  });
  const one = (what: string) => spawnSync('sh', [debianKernelScript(), what], { encoding: 'utf8', env: { ...process.env, DEBIAN_KERNEL_ROOT: root } }).stdout;
  assert.equal(one('version'), '7.3.0-12-fake\n');
  assert.equal(one('headers'), `${root}/usr/src/linux-headers-7.3.0-12-fake\n`);
  assert.equal(one('image'), `${root}/boot/vmlinuz-7.3.0-12-fake\n`);
});

test('no pair: exit 1, what is there and what to install; bad usage exits 2', () => {
  const root = tree('unpaired', { images: ['7.3.0-1-fake'], headers: ['7.3.0-2-fake', '7.3.0-2-common'] });
  const r = spawnSync('sh', [debianKernelScript()], { encoding: 'utf8', env: { ...process.env, DEBIAN_KERNEL_ROOT: root } });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    [
      'debian-kernel: no kernel has both an image and its headers',
      '  images (/boot/vmlinuz-*): 7.3.0-1-fake',
      '  headers (/usr/src/linux-headers-*/Makefile): 7.3.0-2-fake',
      '  install both at the same version: apt-get install linux-image-amd64 linux-headers-amd64',
      '',
    ].join('\n'),
  );
  const missing = debianKernel({ root: tree('empty', { images: [], headers: [] }) });
  assert.ok('missing' in missing);
  assert.match(missing.missing, /images \(\/boot\/vmlinuz-\*\): none\n.*headers .*: none\n.*apt-get install linux-image-amd64 linux-headers-amd64/s);
  const bad = spawnSync('sh', [debianKernelScript(), 'newest'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^usage: debian-kernel\.sh \[version\|headers\|image\|all\]/);
});

test('dash and busybox sh give the same answer (the QEMU guest and the module step run busybox)', () => {
  assert.ok(busybox, 'busybox is needed (apt-get install busybox-static)');
  const root = tree('shells', { images: ['7.3.0-9-fake', '7.3.0-10-fake'], headers: ['7.3.0-9-fake', '7.3.0-10-fake'] });
  const env = { ...process.env, DEBIAN_KERNEL_ROOT: root };
  const dash = spawnSync('sh', [debianKernelScript(), 'all'], { encoding: 'utf8', env });
  const bb = spawnSync(busybox, ['sh', debianKernelScript(), 'all'], { encoding: 'utf8', env });
  assert.equal(dash.status, 0, dash.stderr);
  assert.equal(bb.stdout, dash.stdout);
  assert.match(dash.stdout, /^version=7\.3\.0-10-fake\n/);
});

test('this host (set up by scripts/setup.sh): a kernel whose image and headers exist, as kmod/Makefile sees it', () => {
  const k = debianKernel();
  assert.ok(!('missing' in k), 'missing' in k ? k.missing : '');
  assert.ok(existsSync(k.image), k.image);
  assert.ok(existsSync(join(k.headers, 'Makefile')), k.headers);
  assert.equal(k.headers, `/usr/src/linux-headers-${k.version}`);
  const make = spawnSync('make', ['-s', '-C', join(debianKernelScript(), '..', '..'), 'kdir'], { encoding: 'utf8' });
  assert.equal(make.stdout.trim(), k.headers, make.stderr);
});
