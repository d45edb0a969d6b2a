// The contract every Host implementation passes: the same tests, run against LocalHost
// (hosts/local.test.ts), an SshHost in a network namespace (hosts/ssh-netns.test.ts) and a QEMU
// guest (hosts/qemu/guest.test.ts). `address` is an address of that host the lab can reach.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ToolMissingError } from '../runner/processes';
import { portListeners } from './port-owner';
import type { Host } from './types';

export interface ContractTarget {
  host: Host;
  /** An address of the host that the lab reaches (a listener bound there is connected to). */
  address: string;
  /** The port the lab connects to for a listener on `port` there (a guest forwards ports). */
  reach?: (port: number) => Promise<{ host: string; port: number }>;
  /** The kernel the host runs, when the test knows it. */
  kernel?: string;
  /** Multiplies the timeouts the tests give (an emulated guest runs commands 10-50x slower). */
  timeScale?: number;
}

let scale = 1;
const until = async (what: string, ok: () => Promise<boolean>, ms = 10_000 * scale) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

export function hostContract(label: string, make: () => Promise<ContractTarget>, done: () => Promise<void>): void {
  describe(`host contract: ${label}`, () => {
    let t: ContractTarget;
    let h: Host;
    const local = mkdtempSync(join(tmpdir(), 'saio-hostc-'));
    before(async () => {
      t = await make();
      h = t.host;
      scale = t.timeScale ?? 1;
      await h.open();
    });
    after(async () => {
      await done();
      rmSync(local, { recursive: true, force: true });
    });

    test('spawn: output reaches the local files and the listener, the exit status comes back, a missing program is named', async () => {
      const chunks: string[] = [];
      const p = await h.spawn({
        role: 'server',
        argv: ['sh', '-c', 'echo out-line; echo err-line >&2; exit 3'],
        stdoutPath: join(local, 'a.out'),
        stderrPath: join(local, 'a.err'),
        onOutput: (c) => chunks.push(`${c.stream}:${c.data}`),
      });
      assert.ok(p.pid > 1);
      assert.match(p.startTicks, /^\d+$/);
      assert.deepEqual(await p.exited, { code: 3, signal: null });
      assert.equal(readFileSync(join(local, 'a.out'), 'utf8'), 'out-line\n');
      assert.equal(readFileSync(join(local, 'a.err'), 'utf8'), 'err-line\n');
      assert.equal(p.stdout, 'out-line\n');
      assert.ok(chunks.includes('stdout:out-line\n') && chunks.includes('stderr:err-line\n'), chunks.join('|'));
      await assert.rejects(
        h.spawn({ role: 'server', argv: ['no-such-program-saio'], stdoutPath: join(local, 'x.out'), stderrPath: join(local, 'x.err') }),
        (e: unknown) => e instanceof ToolMissingError && /"no-such-program-saio" is not installed/.test((e as Error).message),
      );
    });

    test('spawn: environment, working directory and CPU pinning apply there', async () => {
      const cpus = await h.allowedCpus();
      const last = cpus[cpus.length - 1] as number;
      const p = await h.spawn({
        role: 'driver',
        argv: ['sh', '-c', 'printf "%s|" "$SAIO_X"; pwd; grep Cpus_allowed_list /proc/self/status'],
        env: { SAIO_X: `a 'b' $c "d"` },
        cwd: h.runDir,
        cpus: [last],
        stdoutPath: join(local, 'b.out'),
        stderrPath: join(local, 'b.err'),
      });
      assert.equal((await p.exited).code, 0, readFileSync(join(local, 'b.err'), 'utf8'));
      const [env, rest] = p.stdout.split('|');
      assert.equal(env, `a 'b' $c "d"`);
      assert.match(rest as string, new RegExp(`^${h.runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\nCpus_allowed_list:\\s+${last}\n$`));
    });

    test('stop ends the whole process group, forked children included; cleanup finds nothing left', async () => {
      const p = await h.spawn({ role: 'server', argv: ['sh', '-c', 'sleep 60 & sleep 60 & wait'], stdoutPath: join(local, 'g.out'), stderrPath: join(local, 'g.err') });
      await until('three processes in the group', async () => (await h.processesInGroup(p.pid)).length === 3);
      const sample = await h.sampleProcesses({ groups: [p.pid] });
      assert.equal(sample.length, 3);
      for (const s of sample) {
        assert.equal(s.stat.pgrp, p.pid, 'every member is in the group the spawn made');
        assert.ok(s.tasks.length >= 1 && s.tasks[0]?.status.allowedCpus !== '');
      }
      assert.ok(sample.some((s) => s.pid === p.pid && s.stat.comm === 'sh'));
      const r = await p.stop('SIGTERM', 3000);
      assert.equal(r.forced, false);
      assert.deepEqual(await h.processesInGroup(p.pid), []);
      assert.equal(p.running, false);
      assert.deepEqual((await h.cleanup()).stopped, []);
    });

    test('cleanup stops every group the run left running', async () => {
      const a = await h.spawn({ role: 'server', argv: ['sh', '-c', 'sleep 60 & wait'], stdoutPath: join(local, 'c1.out'), stderrPath: join(local, 'c1.err') });
      const b = await h.spawn({ role: 'driver', argv: ['sleep', '60'], stdoutPath: join(local, 'c2.out'), stderrPath: join(local, 'c2.err') });
      await until('both groups', async () => (await h.processesInGroup(a.pid)).length === 2);
      const report = await h.cleanup();
      assert.deepEqual(report.stopped.sort(), [`${a.pid} server`, `${b.pid} driver`].sort());
      assert.deepEqual(report.left, []);
      await Promise.all([a.exited, b.exited]);
      assert.deepEqual([...(await h.processesInGroup(a.pid)), ...(await h.processesInGroup(b.pid))], []);
    });

    test('exec: output and status; a timeout or a cancel kills the whole group', async () => {
      const ok = await h.exec(['sh', '-c', 'echo "$1"; echo e >&2; exit 4', 'sh', 'x y'], { timeoutMs: 20_000 });
      assert.deepEqual([ok.code, ok.stdout, ok.stderr, ok.killed], [4, 'x y\n', 'e\n', null]);
      const t0 = Date.now();
      const slow = await h.exec(['sh', '-c', 'sleep 60 & echo $$; wait'], { timeoutMs: 1500 * scale });
      assert.match(slow.killed ?? '', new RegExp(`timed out after ${1.5 * scale} s`));
      assert.ok(Date.now() - t0 < 15_000 * scale);
      const pg = Number(slow.stdout.trim());
      assert.ok(pg > 1, slow.stdout);
      await until('the timed-out group to be gone', async () => (await h.processesInGroup(pg)).length === 0);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 800 * scale);
      const cancelled = await h.exec(['sh', '-c', 'sleep 60 & sleep 60 & echo $$; wait'], { timeoutMs: 60_000, signal: ac.signal });
      assert.equal(cancelled.killed, 'cancelled');
      const pg2 = Number(cancelled.stdout.trim());
      await until('the cancelled group to be gone', async () => (await h.processesInGroup(pg2)).length === 0);
    });

    test('files: write, read back byte for byte, list, hash, remove; text files in one reading', async () => {
      const dir = `${h.runDir}/files`;
      await h.mkdirp(dir);
      const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
      await h.writeFile(`${dir}/bin`, data, { mode: 0o600 });
      await h.writeFile(`${dir}/text`, 'line 1\nno newline at end');
      assert.ok((await h.readFile(`${dir}/bin`)).equals(data));
      assert.equal(await h.sha256(`${dir}/bin`), createHash('sha256').update(data).digest('hex'));
      assert.equal(await h.sha256(`${dir}/none`), null);
      assert.deepEqual((await h.listDir(dir)).sort(), ['bin', 'text']);
      assert.deepEqual(await h.listDir(`${dir}/none`), []);
      const [text, none, uptime] = await h.readTextFiles([`${dir}/text`, `${dir}/none`, '/proc/uptime']);
      assert.equal(text, 'line 1\nno newline at end');
      assert.equal(none, null);
      assert.match(uptime ?? '', /^\d+\.\d+ \d+\.\d+\n$/);
      const mode = await h.exec(['stat', '-c', '%a', `${dir}/bin`], { timeoutMs: 10_000 });
      assert.equal(mode.stdout.trim(), '600');
      await h.remove(dir);
      assert.deepEqual(await h.listDir(dir), []);
      assert.ok((await h.which('sh'))?.startsWith('/'));
      assert.equal(await h.which('no-such-program-saio'), null);
    });

    test('CPUs, a free port a listener there can bind and the lab can reach, the network path', async () => {
      const cpus = await h.allowedCpus();
      assert.ok(cpus.length >= 1 && cpus.every((c) => Number.isInteger(c) && c >= 0));
      const port = await h.freePort(t.address);
      assert.ok(port > 1024 && port < 65536);
      // SO_REUSEPORT, as nginx's `listen … reuseport`: a second such listener may share the port.
      const py = `import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEPORT,1)\ns.bind((sys.argv[1],int(sys.argv[2])))\ns.listen()\nprint('listening',flush=True)\nc,_=s.accept()\nc.sendall(b'hello from the host\\n')\nc.close()`;
      const srv = await h.spawn({ role: 'server', argv: ['python3', '-c', py, t.address, String(port)], stdoutPath: join(local, 'l.out'), stderrPath: join(local, 'l.err') });
      await until('the listener', async () => srv.stdout.includes('listening') || !srv.running);
      assert.ok(srv.running, readFileSync(join(local, 'l.err'), 'utf8'));
      // Alone on its port: the one listener there is a socket of its own group.
      const alone = await portListeners(h, { pgid: srv.pid, address: t.address, port });
      assert.equal(alone.ours.length, 1, JSON.stringify(alone));
      assert.deepEqual(alone.foreign, []);
      // A second group on the same port (a stranger to the first): seen, with its pid and name.
      const other = await h.spawn({ role: 'server', argv: ['python3', '-c', py, t.address, String(port)], stdoutPath: join(local, 'o.out'), stderrPath: join(local, 'o.err') });
      await until('the second listener', async () => other.stdout.includes('listening') || !other.running);
      assert.ok(other.running, readFileSync(join(local, 'o.err'), 'utf8'));
      const shared = await portListeners(h, { pgid: srv.pid, address: t.address, port });
      assert.equal(shared.ours.length, 1);
      assert.equal(shared.foreign.length, 1, JSON.stringify(shared));
      assert.deepEqual(
        shared.foreign[0]?.owners.map((o) => o.pid),
        [other.pid],
      );
      assert.match(shared.foreign[0]?.owners[0]?.comm ?? '', /^python/);
      await other.stop('SIGKILL', 2000);
      const to = t.reach ? await t.reach(port) : { host: t.address, port };
      const got = await new Promise<string>((resolve, reject) => {
        const s = connect(to.port, to.host);
        let d = '';
        s.on('data', (b) => (d += b.toString()));
        s.on('end', () => resolve(d));
        s.on('error', reject);
        s.setTimeout(10_000, () => s.destroy(new Error('no answer')));
      });
      assert.equal(got, 'hello from the host\n');
      assert.equal((await srv.exited).code, 0);
      const path = await h.networkPath(t.address);
      assert.ok(path.interface.length > 0 && (path.mtu ?? 0) >= 576, JSON.stringify(path));
    });

    test('environment: kernel, CPUs, memory, tool versions (a missing tool says so); clock offset', async () => {
      const env = await h.environment([
        { name: 'sh', argv: ['sh', '-c', 'echo sh-version-1'], parse: (o) => o.trim() },
        { name: 'nothing', argv: ['no-such-program-saio', '--version'], parse: (o) => o },
      ]);
      assert.equal(env.host, h.name);
      assert.equal(env.kind, h.kind);
      if (t.kernel) assert.equal(env.kernel, t.kernel);
      assert.match(env.kernel, /^\d+\.\d+/);
      assert.ok(env.cpus >= 1 && env.memory_bytes > 64 * 2 ** 20 && env.cpu_model.length > 0, JSON.stringify(env));
      assert.match(env.kernel_cmdline, /\S/);
      assert.match(env.extra.lab_cpus_allowed ?? '', /^\d/);
      assert.deepEqual(env.tools, { sh: 'sh-version-1', nothing: 'missing' });
      const off = await h.clockOffset();
      assert.ok(off.samples >= 3 && off.uncertainty_ms >= 0 && Number.isFinite(off.offset_ms), JSON.stringify(off));
    });
  });
}
