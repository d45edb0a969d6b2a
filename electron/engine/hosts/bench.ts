// npm run bench:hosts — what a host costs: a guest's boot time (QEMU start to its sshd, and to the
// lab's connection), and the overhead of one command (exec of `true`) and of one short call
// (reading /proc/uptime) on this machine, on an SSH host in a network namespace, and in a guest.
// Medians with the spread (min–max) of REPEATS runs; run it on a quiet machine
// (flock -x /work/locks/bench.lock npm run bench:hosts). Writes out/bench-hosts.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../paths';
import { LocalHost } from './local';
import { GuestHost } from './qemu/guest';
import { SshHost } from './ssh';
import { down, SSH_CONFIG, up } from './testing/netns';
import type { Host } from './types';

const BOOTS = Number(process.env.BENCH_BOOTS ?? 3);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);

function summary(xs: number[]): { median: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? (s[Math.floor(mid)] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median: Math.round(median * 10) / 10, min: Math.round((s[0] as number) * 10) / 10, max: Math.round((s[s.length - 1] as number) * 10) / 10, n: s.length };
}

async function overhead(h: Host): Promise<{ exec_ms: ReturnType<typeof summary>; call_ms: ReturnType<typeof summary> }> {
  await h.exec(['true'], { timeoutMs: 60_000 }); // warm: connection, page cache
  const exec: number[] = [];
  const call: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    let t = performance.now();
    await h.exec(['true'], { timeoutMs: 60_000 });
    exec.push(performance.now() - t);
    t = performance.now();
    await h.readTextFiles(['/proc/uptime']);
    call.push(performance.now() - t);
  }
  return { exec_ms: summary(exec), call_ms: summary(call) };
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = {
    started: new Date().toISOString(),
    loadavg_start: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    repeats: REPEATS,
  };
  const dir = mkdtempSync(join(tmpdir(), 'saio-bench-hosts-'));
  try {
    const local = new LocalHost(dir);
    await local.open();
    result.local = await overhead(local);
    await local.close();
    console.log('local', JSON.stringify(result.local));

    const hosts = up(2);
    const srv = hosts[0] as { name: string; address: string };
    const ssh = new SshHost({ name: 'srv', destination: `root@${srv.address}`, configFile: SSH_CONFIG, runId: 'bench' });
    const t0 = performance.now();
    await ssh.open();
    result.ssh_connect_ms = Math.round(performance.now() - t0);
    result.ssh = await overhead(ssh);
    await ssh.close();
    down();
    console.log('ssh', JSON.stringify(result.ssh));

    const toReady: number[] = [];
    const toSsh: number[] = [];
    const uptimeAtReady: number[] = [];
    let guestOverhead: unknown = null;
    let accel = '';
    for (let i = 0; i < BOOTS; i++) {
      const t = performance.now();
      let ready = 0;
      const g = await GuestHost.boot({
        name: 'bench',
        runId: `bench-${i}`,
        accel: i === 0 ? 'auto' : undefined,
        onProgress: (l) => {
          if (l === 'guest sshd up') ready = performance.now() - t;
        },
      });
      accel = `${g.accel.accel} (${g.accel.reason})`;
      toReady.push(ready);
      toSsh.push(g.bootMs);
      const up = g.console.find((l) => l.startsWith('SAIO-GUEST: sshd up'));
      const s = up ? /\(([\d.]+)s\)/.exec(up)?.[1] : undefined;
      if (s) uptimeAtReady.push(Number(s) * 1000);
      if (i === BOOTS - 1) guestOverhead = await overhead(g);
      await g.close();
      console.log(`boot ${i + 1}: sshd up after ${Math.round(ready)} ms, connected after ${g.bootMs} ms`);
    }
    // The first boot pays for the KVM probe when there is a /dev/kvm; the others reuse its answer.
    result.guest = { accel, boot_to_sshd_ms: summary(toReady), boot_to_connected_ms: summary(toSsh), guest_uptime_at_sshd_ms: summary(uptimeAtReady), ...(guestOverhead as object) };
    console.log('guest', JSON.stringify(result.guest));
    result.loadavg_end = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const out = join(repoRoot(), 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'bench-hosts.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench-hosts: ${(e as Error).stack ?? e}`);
  try {
    down();
  } catch {
    // nothing up
  }
  process.exit(1);
});
