// SshHost against real OpenSSH servers in network namespaces made by scripts/netns-hosts.sh
// (prefix saiot, 10.214.0.0/24): the host contract, quoting with hostile strings through a sh and
// a bash login shell, one ControlMaster per host, a lab killed or frozen mid-run, bad hosts each
// reported in one line, and that every address used is inside the namespaces.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../paths';
import { checkHost, checkHosts, sha256File } from './check';
import { hostContract } from './contract';
import { SshHost } from './ssh';
import { HostError } from './types';
import { hostileStrings } from './testing/hostile';
import { DIR, down, PREFIX, SSH_CONFIG, strangersIn, SUBNET, up, runScript, type NetnsHost } from './testing/netns';

const hosts = up(3);
const byName = (n: string) => hosts.find((h) => h.name === n) as NetnsHost;
const [srvNs, gen1Ns, gen2Ns] = [byName('srv'), byName('gen1'), byName('gen2')];
const tmp = mkdtempSync(join(tmpdir(), 'saio-sshtest-'));
const runId = () => `t-${randomBytes(4).toString('hex')}`;
const mk = (h: NetnsHost, extra: Partial<ConstructorParameters<typeof SshHost>[0]> = {}) =>
  new SshHost({ name: h.name, destination: `root@${h.address}`, configFile: SSH_CONFIG, runId: runId(), connectTimeoutS: 5, ...extra });
const inSubnet = (a: string) => a.startsWith(`${SUBNET}.`);
const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

after(() => {
  down();
  rmSync(tmp, { recursive: true, force: true });
});

const srv = mk(srvNs);
hostContract(
  'SshHost (sshd in a network namespace)',
  async () => ({ host: srv, address: srvNs.address, kernel: release() }),
  async () => {
    await srv.close();
    assert.deepEqual(strangersIn(srvNs), [], 'nothing of the contract tests is left in the namespace');
  },
);

for (const h of [srvNs, gen2Ns]) {
  test(`quoting: hostile argv, env and cwd arrive byte for byte (${h.name}: ${h.name === 'gen2' ? "bash login shell reading root's rc files" : 'sh login shell'})`, async () => {
    const canary = join(tmp, `canary-${h.name}`);
    const argv = hostileStrings(canary, 20_000);
    const host = mk(h);
    try {
      const r = await host.exec(['printf', '%s\\0', ...argv], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), argv);
      const weird = `${host.runDir}/dir with 'quotes' $(x) and\nnewline`;
      await host.mkdirp(weird);
      const e = await host.exec(['sh', '-c', 'printf "%s\\0" "$SAIO_H"; pwd'], { timeoutMs: 60_000, env: { SAIO_H: argv.slice(0, 30).join('') }, cwd: weird });
      assert.equal(e.code, 0, e.stderr);
      assert.deepEqual(e.stdout.split('\0'), [argv.slice(0, 30).join(''), `${weird}\n`]);
      assert.equal(existsSync(canary), false, 'no hostile string was run as a command');
      await assert.rejects(host.exec(['printf', 'a\0b'], { timeoutMs: 1000 }), /NUL/);
    } finally {
      await host.close();
    }
  });
}

test('one ControlMaster connection per host carries every call; close ends it and leaves nothing', async () => {
  const host = mk(gen1Ns);
  await host.open();
  const masterPid = host.masterPid as number;
  const p = await host.spawn({ role: 'server', argv: ['sleep', '30'], stdoutPath: join(tmp, 'cm.out'), stderrPath: join(tmp, 'cm.err') });
  await Promise.all(Array.from({ length: 12 }, () => host.readTextFiles(['/proc/uptime', '/proc/loadavg'])));
  const conns = () => spawnSync('ss', ['-Htn', 'state', 'established', 'dst', gen1Ns.address, 'dport', '=', ':22'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  assert.equal(conns().length, 1, `one TCP connection to ${gen1Ns.address}:22, got:\n${conns().join('\n')}`);
  for (const c of conns()) for (const a of c.match(/\d+\.\d+\.\d+\.\d+/g) ?? []) assert.ok(inSubnet(a), `address ${a} is inside ${SUBNET}.0/24`);
  assert.ok(p.running);
  await host.close();
  assert.equal(p.running, false, 'close stopped the process it had started');
  await until('the master to exit', () => !existsSync(`/proc/${masterPid}`) || readFileSync(`/proc/${masterPid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true);
  await until('the connection to close', () => conns().length === 0);
  await until('the namespace to hold only its sshd', () => strangersIn(gen1Ns).length === 0);
});

test('placement sampling over ssh: every thread of a remote group, one round trip per round', async () => {
  const { HostPlacementSampler } = await import('./placement');
  const host = mk(gen1Ns);
  try {
    const p = await host.spawn({ role: 'server', argv: ['sh', '-c', 'sleep 30 & sleep 30 & wait'], stdoutPath: join(tmp, 'ps.out'), stderrPath: join(tmp, 'ps.err') });
    await until('three members', async () => (await host.processesInGroup(p.pid)).length === 3);
    const sampler = new HostPlacementSampler(host, Date.now(), 100);
    sampler.add({ role: 'server', pgrp: p.pid });
    sampler.start();
    await new Promise((r) => setTimeout(r, 1000));
    await sampler.stop();
    const samples = sampler.drain();
    assert.equal(sampler.lastError, null);
    assert.ok(sampler.roundCount >= 2, `rounds: ${sampler.roundCount}`);
    assert.equal(new Set(samples.map((s) => s.tid)).size, 3);
    assert.ok(samples.every((s) => s.host === 'gen1' && s.role === 'server' && s.cpu >= 0));
    await p.stop('SIGTERM', 2000);
  } finally {
    await host.close();
  }
});

test(
  "CPU over ssh: the run's reader on srv follows cpu-burn started there as a server, and its count matches cpu-burn's own CPU clocks, threads born and gone included",
  { timeout: 120_000 },
  async () => {
    const { HostCpuReader } = await import('./cpu');
    const { buildBurner, burnOn, countedServerBurn } = await import('./testing/cpu-burn');
    const host = mk(srvNs);
    const reader = HostCpuReader.start(host, { dir: tmp });
    try {
      // One filesystem under every namespace: the binary built here runs on srv as it is.
      const burner = await burnOn(host, buildBurner(tmp), ['-t', '2', '-b', '300', '-x', '200'], tmp, 'srv-burn');
      try {
        const { usage } = await countedServerBurn(reader, burner);
        assert.ok(usage.samples >= 3, `read on srv while it ran (${usage.samples} readings)`);
      } finally {
        await burner.proc.stop('SIGKILL', 2000);
      }
    } finally {
      await reader.close();
      await host.close();
    }
  },
);

async function startLabChild(names: NetnsHost[], run: string): Promise<{ child: ReturnType<typeof spawn>; pids: Record<string, number> }> {
  const cfg = { runId: run, hosts: names.map((h) => ({ name: h.name, destination: `root@${h.address}`, configFile: SSH_CONFIG })) };
  const child = spawn(process.execPath, [join(__dirname, 'testing', 'lab-child.js'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const pids = await new Promise<Record<string, number>>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve((JSON.parse(out) as { pids: Record<string, number> }).pids);
    });
    child.once('exit', (code) => reject(new Error(`lab-child exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`lab-child did not start in 60 s: ${err}`)), 60_000);
  });
  return { child, pids };
}

const groupAlive = (pgid: number) => {
  const r = spawnSync('sh', ['-c', `for s in /proc/[0-9]*/stat; do cat "$s" 2>/dev/null; echo; done`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.stdout.split('\n').some((l) => {
    const f = l.slice(l.lastIndexOf(')') + 2).split(' ');
    return f[2] === String(pgid) && f[0] !== 'Z';
  });
};

test('the lab SIGKILLed mid-run: its remote groups die with it, cleanup finds nothing, no namespace runs anything', async () => {
  const run = runId();
  const { child, pids } = await startLabChild([srvNs, gen1Ns], run);
  assert.ok(groupAlive(pids.srv as number) && groupAlive(pids.gen1 as number));
  child.kill('SIGKILL');
  await until('every remote group to die', () => !groupAlive(pids.srv as number) && !groupAlive(pids.gen1 as number));
  for (const h of [srvNs, gen1Ns]) {
    const report = await SshHost.cleanupRun({ name: h.name, destination: `root@${h.address}`, configFile: SSH_CONFIG, runId: run });
    assert.deepEqual(report, { host: h.name, stopped: [], left: [] });
  }
  await until('no namespace to run anything but its sshd', () => [srvNs, gen1Ns, gen2Ns].every((h) => strangersIn(h).length === 0));
});

test('a frozen lab: recovery (SshHost.cleanupRun from another process) stops what it left on every host', async () => {
  const run = runId();
  const { child, pids } = await startLabChild([srvNs, gen1Ns], run);
  child.kill('SIGSTOP'); // its connections stay open, so only cleanup can stop the groups
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(groupAlive(pids.srv as number) && groupAlive(pids.gen1 as number), 'still running while the lab is frozen');
  for (const h of [srvNs, gen1Ns]) {
    const report = await SshHost.cleanupRun({ name: h.name, destination: `root@${h.address}`, configFile: SSH_CONFIG, runId: run });
    assert.deepEqual(report, { host: h.name, stopped: [`${pids[h.name]} server`], left: [] });
    assert.equal(groupAlive(pids[h.name] as number), false);
  }
  child.kill('SIGKILL');
  await until('no namespace to run anything but its sshd', () => [srvNs, gen1Ns, gen2Ns].every((h) => strangersIn(h).length === 0));
});

test('bad hosts: unreachable, wrong key and a missing nginx each fail the check with one line, before anything starts', async () => {
  const wrongKey = join(tmp, 'wrong_ed25519');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
  const wrongConfig = join(tmp, 'ssh_config_wrong_key');
  writeFileSync(wrongConfig, readFileSync(SSH_CONFIG, 'utf8').replace(/IdentityFile .*/, `IdentityFile ${wrongKey}`));
  const unreachable = new SshHost({ name: 'gone', destination: `root@${SUBNET}.9`, configFile: SSH_CONFIG, runId: runId(), connectTimeoutS: 2 });
  const badKey = new SshHost({ name: 'gen1', destination: `root@${gen1Ns.address}`, configFile: wrongConfig, runId: runId() });
  const noNginx = mk(gen2Ns);
  const good = mk(srvNs);
  const nginx = [
    { kind: 'program' as const, program: 'nginx', for: 'the server of this cell' },
    { kind: 'program' as const, program: 'sh' },
  ];
  try {
    const all = await checkHosts([
      { host: unreachable, needs: nginx },
      { host: badKey, needs: nginx },
      { host: noNginx, needs: nginx },
      { host: good, needs: nginx },
    ]);
    assert.equal(all.ok, false);
    assert.equal(all.problems.length, 3, all.problems.join('\n'));
    for (const p of all.problems) assert.ok(!p.includes('\n'), `one line: ${p}`);
    assert.match(all.problems[0] as string, new RegExp(`^gone \\(ssh://root@${SUBNET.replace(/\./g, '\\.')}\\.9\\): unreachable: `));
    assert.match(all.problems[1] as string, /^gen1 \(ssh:\/\/root@[\d.]+\): authentication failed \(server accepts: publickey\)/);
    assert.match(all.problems[2] as string, /^gen2 \(ssh:\/\/root@[\d.]+\): nginx is not installed .*needed for the server of this cell/);
    assert.deepEqual(all.checks[3]?.problems, []);
    assert.equal(all.checks[3]?.programs.nginx, '/usr/sbin/nginx');
    await assert.rejects(unreachable.exec(['true'], { timeoutMs: 5000 }), (e: unknown) => e instanceof HostError && e.problem === 'unreachable');
    await assert.rejects(badKey.open(), (e: unknown) => e instanceof HostError && e.problem === 'auth');
  } finally {
    for (const h of [unreachable, badKey, noNginx, good]) await h.close();
  }
});

test('libsaio by hash: the same build is used in place, another build is copied into the run directory and checked', async () => {
  const lib = join(repoRoot(), 'preload', 'build', 'libsaio.so');
  assert.ok(existsSync(lib), `${lib} is built by npm run build`);
  const sha = sha256File(lib);
  const host = mk(srvNs);
  try {
    const same = await checkHost(host, [{ kind: 'file', what: 'libsaio', path: lib, sha256: sha }]);
    assert.deepEqual([same.ok, same.files.libsaio], [true, lib]);
    const other = join(tmp, 'libsaio.so');
    writeFileSync(other, 'an older build');
    const copied = await checkHost(host, [{ kind: 'file', what: 'libsaio', path: other, sha256: sha, copyFrom: lib }]);
    assert.equal(copied.ok, true, copied.problems.join('\n'));
    assert.equal(copied.files.libsaio, `${host.runDir}/libsaio.so`);
    assert.equal(await host.sha256(copied.files.libsaio as string), sha);
    assert.match(copied.notes[0] as string, /another build at .*; copied to /);
    const refused = await checkHost(host, [{ kind: 'file', what: 'libsaio', path: other, sha256: sha }]);
    assert.equal(refused.problems.length, 1);
    assert.match(refused.problems[0] as string, /libsaio at .* is another build \(sha256 [0-9a-f]{12}…, the local tree's is/);
  } finally {
    await host.close();
  }
});

test('traffic stays inside the namespaces: every address used is in the subnet, routed over the veth the script made', async () => {
  for (const h of hosts) {
    const g = spawnSync('ssh', ['-F', SSH_CONFIG, '-G', `root@${h.address}`], { encoding: 'utf8' }).stdout;
    assert.ok(inSubnet(/^hostname (\S+)$/m.exec(g)?.[1] ?? ''), `ssh resolves ${h.name} inside the subnet`);
    const route = spawnSync('ip', ['-o', 'route', 'get', h.address], { encoding: 'utf8' }).stdout;
    assert.match(route, new RegExp(`dev ${PREFIX}-lab src ${SUBNET.replace(/\./g, '\\.')}\\.1`), route);
  }
  const host = mk(srvNs);
  try {
    const path = await host.networkPath(gen1Ns.address);
    assert.deepEqual([path.interface, path.source, path.via, path.link_kind, path.mtu, path.speed_mbps], ['eth0', srvNs.address, null, 'veth', 1500, 10000]);
    // A namespace has no route out of the subnet at all (a lookup only: nothing is sent).
    await assert.rejects(host.networkPath('198.51.100.1'), /no route to 198\.51\.100\.1.*unreachable/i);
    const off = await host.clockOffset();
    assert.ok(Math.abs(off.offset_ms) <= off.uncertainty_ms + 2, `one kernel, one clock: ${JSON.stringify(off)}`);
  } finally {
    await host.close();
  }
});

test('netns-hosts.sh: up is idempotent, status says each host, down removes everything; clear errors without root or ip', () => {
  const known = readFileSync(join(DIR, 'known_hosts'), 'utf8');
  assert.deepEqual(up(3), hosts, 'a second up keeps the hosts');
  assert.equal(readFileSync(join(DIR, 'known_hosts'), 'utf8'), known, 'and their keys');
  const st = runScript('status');
  assert.equal(st.status, 0);
  assert.equal(st.out.trim().split('\n').length, 3);
  // A copy nobody can read: the clone may sit under /root (mode 700), as in fresh-check's root,
  // where bash could not open the script at all (exit 126) before it could say anything.
  const open = mkdtempSync(join(tmpdir(), 'saio-nobody-'));
  chmodSync(open, 0o755);
  copyFileSync(join(repoRoot(), 'scripts', 'netns-hosts.sh'), join(open, 'netns-hosts.sh'));
  chmodSync(join(open, 'netns-hosts.sh'), 0o755);
  const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', join(open, 'netns-hosts.sh'), 'up'], { encoding: 'utf8' });
  rmSync(open, { recursive: true, force: true });
  assert.equal(nobody.status, 1, nobody.stderr);
  assert.match(nobody.stderr, /^netns-hosts: must run as root/);
  const bin = mkdtempSync(join(tmpdir(), 'saio-noip-'));
  for (const t of ['id', 'bash']) symlinkSync(spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim(), join(bin, t));
  const noIp = spawnSync(join(bin, 'bash'), [join(repoRoot(), 'scripts', 'netns-hosts.sh'), 'up'], { encoding: 'utf8', env: { PATH: bin } });
  rmSync(bin, { recursive: true, force: true });
  assert.equal(noIp.status, 1);
  assert.match(noIp.stderr, /'ip' is missing: apt-get install iproute2/);
  down();
  assert.equal(runScript('status').status, 1);
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!new RegExp(`^${PREFIX}-`, 'm').test(left), left);
  assert.equal(spawnSync('ip', ['link', 'show', `${PREFIX}-lab`]).status, 1, 'the lab side link is gone');
  assert.equal(existsSync(DIR), false);
  down(); // and down again is fine
});
