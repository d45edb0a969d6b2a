// A QEMU guest as a host: the accelerator probe's fallback (a hanging "KVM", a failing one, none),
// then one guest booted as the lab boots it (accel auto: on this machine the KVM probe times out
// and TCG is used) that passes the host contract, runs the host's own binaries over 9p, cannot
// touch the host, moves files both ways, fails a command that makes its kernel WARN (lines
// quoted) and keeps working, and — killed mid-command — is said to have died, leaving nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { debianKernel } from '../../kmod/debian-kernel';
import { repoRoot } from '../../paths';
import { hostContract } from '../contract';
import { HostError } from '../types';
import { guestInitramfs, guestKernel, moduleLoadOrder } from './boot-files';
import { GuestHost, GuestKernelTrouble } from './guest';
import { probeAccel } from './qemu';

const tmp = mkdtempSync(join(tmpdir(), 'saio-guesttest-'));
let guest: GuestHost | null = null;
const progress: string[] = [];
const booting = GuestHost.boot({ name: 'vm', runId: `g-${randomBytes(3).toString('hex')}`, cpus: 2, memory_mb: 1024, accel: 'auto', probeTimeoutMs: 20_000, onProgress: (l) => progress.push(l) }).then(
  (g) => (guest = g),
);
booting.catch(() => {}); // reported by the first test that awaits it
after(async () => {
  await guest?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Pids of processes whose command line mentions `text` (the guest's private directory). */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

test('modules.dep: each module after what it needs, built-ins skipped', () => {
  const dep = [
    'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko',
    'kernel/net/9p/9pnet.ko:',
    'kernel/fs/netfs/netfs.ko:',
    'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio.ko:',
  ].join('\n');
  assert.deepEqual(moduleLoadOrder(dep, ['9pnet_virtio', '9p', 'builtin_thing']), [
    'kernel/net/9p/9pnet.ko',
    'kernel/drivers/virtio/virtio.ko',
    'kernel/net/9p/9pnet_virtio.ko',
    'kernel/fs/netfs/netfs.ko',
    'kernel/fs/9p/9p.ko',
  ]);
});

test('accel probe: a KVM that hangs falls back to TCG within the timeout, QEMU killed; a failing or missing KVM too', async () => {
  const k = guestKernel('debian');
  const initramfs = guestInitramfs(k);
  const hang = join(tmp, 'qemu-hangs');
  writeFileSync(hang, `#!/bin/sh\necho $$ > ${tmp}/hang.pid\nexec sleep 300\n`);
  chmodSync(hang, 0o755);
  const t0 = Date.now();
  const hung = await probeAccel({ qemu: hang, kernel: k.kernel, initramfs, timeoutMs: 1500, kvmDevice: '/dev/null' });
  assert.equal(hung.accel, 'tcg');
  assert.match(hung.reason, /did not reach its initramfs within 1.5 s/);
  assert.ok(Date.now() - t0 < 10_000);
  const pid = Number(readFileSync(join(tmp, 'hang.pid'), 'utf8'));
  assert.equal(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), false, 'the hanging QEMU was killed');
  const failing = join(tmp, 'qemu-fails');
  writeFileSync(failing, '#!/bin/sh\necho "qemu-system-x86_64: Could not access KVM kernel module: Permission denied" >&2\nexit 1\n');
  chmodSync(failing, 0o755);
  const failed = await probeAccel({ qemu: failing, kernel: k.kernel, initramfs, timeoutMs: 5000, kvmDevice: '/dev/null' });
  assert.deepEqual(failed, { accel: 'tcg', reason: 'kvm probe failed: qemu-system-x86_64: Could not access KVM kernel module: Permission denied' });
  assert.deepEqual(await probeAccel({ kernel: k.kernel, initramfs, timeoutMs: 5000, kvmDevice: join(tmp, 'no-kvm') }), { accel: 'tcg', reason: `no usable ${join(tmp, 'no-kvm')}` });
});

test('boot: accel chosen by the probe and said with its reason, the Debian kernel, the console kept', async () => {
  const g = await booting;
  assert.ok(['kvm', 'tcg'].includes(g.accel.accel));
  if (g.accel.accel === 'kvm') assert.match(g.accel.reason, /kvm probe reached the initramfs/);
  else assert.match(g.accel.reason, /no usable|did not reach|kvm probe failed|asked/);
  const k = debianKernel();
  assert.ok(!('missing' in k));
  assert.equal(g.kernel.version, k.version);
  assert.ok(
    progress.some((l) => l.startsWith(`accel ${g.accel.accel}`)),
    progress.join('\n'),
  );
  assert.ok(g.console.some((l) => l.startsWith('SAIO-GUEST-READY')));
  const env = await g.environment([]);
  assert.equal(env.kind, 'qemu');
  assert.equal(env.kernel, k.version);
  assert.equal(env.extra.accel, g.accel.accel);
});

hostContract(
  'GuestHost (QEMU, Debian kernel, host root over 9p)',
  async () => {
    const g = await booting;
    return { host: g, address: '10.0.2.15', reach: async (port) => ({ host: '127.0.0.1', port: await g.forward(port) }), kernel: g.kernel.version, timeScale: g.accel.accel === 'tcg' ? 4 : 1 };
  },
  async () => {},
);

test("9p: the host's own binaries and the repository's build run in the guest, byte for byte the same", async () => {
  const g = await booting;
  const r = await g.exec(['sh', '-c', 'nginx -v 2>&1; sha256sum /usr/sbin/nginx'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const host = spawnSync('sh', ['-c', 'nginx -v 2>&1; sha256sum /usr/sbin/nginx'], { encoding: 'utf8' }).stdout;
  assert.equal(r.stdout, host);
  const lib = join(repoRoot(), 'preload', 'build', 'libsaio.so');
  assert.equal(await g.sha256(lib), createHash('sha256').update(readFileSync(lib)).digest('hex'));
});

test('the host is untouched: the shared root is read-only, the guest writes land in its own memory', async () => {
  const g = await booting;
  const marker = `/usr/saio-guest-wrote-${randomBytes(3).toString('hex')}`;
  const ro = await g.exec(['sh', '-c', `echo x > ${marker}`], { timeoutMs: 60_000 });
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  const etc = `/etc/saio-guest-wrote-${randomBytes(3).toString('hex')}`;
  const ok = await g.exec(['sh', '-c', `echo y > ${etc} && cat ${etc}`], { timeoutMs: 60_000 });
  assert.equal(ok.stdout, 'y\n', 'the overlay on /etc takes writes');
  assert.equal(existsSync(marker) || existsSync(etc), false, 'neither reached this machine');
});

test('result transfer: a file written in the guest reads back on the host, and one written from the host reads in the guest', async () => {
  const g = await booting;
  const path = `${g.runDir}/result.bin`;
  const r = await g.exec(['sh', '-c', `head -c 1048576 /dev/urandom > ${path} && sha256sum < ${path}`], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const back = await g.readFile(path);
  assert.equal(back.length, 1 << 20);
  assert.equal(createHash('sha256').update(back).digest('hex'), r.stdout.split(' ')[0]);
  const there = randomBytes(200_000);
  await g.writeFile(`${g.runDir}/in.bin`, there);
  const h = await g.exec(['sha256sum', `${g.runDir}/in.bin`], { timeoutMs: 60_000 });
  assert.equal(h.stdout.split(' ')[0], createHash('sha256').update(there).digest('hex'));
});

test('a guest kernel WARNING (a test module that WARNs on load) fails the command with the lines quoted; the guest and the host go on', async () => {
  const g = await booting;
  const k = debianKernel();
  assert.ok(!('missing' in k));
  const src = join(tmp, 'warnmod');
  spawnSync('mkdir', ['-p', src]);
  writeFileSync(
    join(src, 'saio_warn_test.c'),
    '// A test module for the lab: WARN on load, so a guest kernel WARNING can be provoked on purpose.\n' +
      '#include <linux/module.h>\n#include <linux/bug.h>\n\n' +
      'static int __init saio_warn_test_init(void)\n{\n\tWARN(1, "saio-lab: a warning on purpose\\n");\n\treturn 0;\n}\n\n' +
      'static void __exit saio_warn_test_exit(void)\n{\n}\n\n' +
      'module_init(saio_warn_test_init);\nmodule_exit(saio_warn_test_exit);\nMODULE_LICENSE("GPL");\nMODULE_DESCRIPTION("saio-lab test: WARN on load");\n',
  );
  writeFileSync(join(src, 'Kbuild'), 'obj-m := saio_warn_test.o\n');
  const b = spawnSync('make', ['-C', k.headers, `M=${src}`, 'modules'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(b.status, 0, `${b.stdout}${b.stderr}`);
  const ko = `${g.runDir}/saio_warn_test.ko`;
  await g.writeFile(ko, readFileSync(join(src, 'saio_warn_test.ko')));
  await assert.rejects(g.exec(['insmod', ko], { timeoutMs: 120_000 }), (e: unknown) => {
    assert.ok(e instanceof GuestKernelTrouble, String(e));
    assert.ok(
      e.lines.some((l) => /WARNING: CPU: \d+ PID: \d+ at .*saio_warn_test/.test(l)),
      e.lines.join('\n'),
    );
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.match(e.message, /^vm: guest kernel trouble during insmod .*saio_warn_test\.ko: "/);
    return true;
  });
  assert.ok(g.trouble.length > 0, 'the run keeps the trouble for its verdict');
  const after = await g.exec(['cat', '/proc/sys/kernel/tainted'], { timeoutMs: 60_000 });
  assert.notEqual(Number(after.stdout), 0, 'the guest kernel is tainted (by the warning), and still answers');
});

test('a guest killed mid-command: the command fails saying the guest died, and nothing of it is left here', async () => {
  const g = await booting;
  const qemu = g.qemuPid as number;
  assert.equal((await g.exec(['true'], { timeoutMs: 60_000 })).code, 0);
  const privateDir = readFileSync(`/proc/${qemu}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.includes('saio-guest-'))
    ?.match(/\/[^,]*saio-guest-[A-Za-z0-9]+/)?.[0];
  assert.ok(privateDir, 'QEMU names the guest directory');
  const running = g.exec(['sleep', '120'], { timeoutMs: 300_000 });
  await new Promise((r) => setTimeout(r, 3000));
  process.kill(qemu, 'SIGKILL');
  await assert.rejects(running, (e: unknown) => {
    assert.ok(e instanceof HostError && e.problem === 'gone', String(e));
    assert.match(e.message, new RegExp(`^vm: the guest died during run sleep: the guest's QEMU \\(pid ${qemu}\\) was killed by SIGKILL`));
    return true;
  });
  assert.ok(g.dead);
  await assert.rejects(g.exec(['true'], { timeoutMs: 10_000 }), /cannot run true: the guest's QEMU/);
  await g.close();
  guest = null;
  assert.equal(existsSync(privateDir as string), false, 'its directory is removed');
  assert.deepEqual(processesMentioning(privateDir as string), [], 'no QEMU, ssh master or client is left');
});
