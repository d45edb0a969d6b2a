// Test hosts for the SSH tests: scripts/netns-hosts.sh with a prefix, subnet and directory of the
// tests' own (saiot, 10.214.0), so a person's own `netns-hosts.sh up` (saio, 10.213.0) is never
// touched. up() makes them (root, iproute2 and openssh-server are needed: the test fails and
// says so when they are missing); down() removes everything. SAIO_TEST_NETNS_PREFIX and
// SAIO_TEST_NETNS_SUBNET move them aside when two test runs share one network namespace (the
// fresh-machine check's chroot runs beside this machine's own suites: the same names would
// tear down each other's links mid-test).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../paths';

export const PREFIX = process.env.SAIO_TEST_NETNS_PREFIX || 'saiot';
export const SUBNET = process.env.SAIO_TEST_NETNS_SUBNET || '10.214.0';
export const DIR = `/run/${PREFIX}-netns-hosts`;
export const SSH_CONFIG = join(DIR, 'ssh_config');

/** Another set of test hosts beside the SSH tests' own (another prefix, subnet and directory), so suites never share them. */
export interface NetnsConfig {
  prefix: string;
  subnet: string;
  dir: string;
}

export const DEFAULT_NETNS: NetnsConfig = { prefix: PREFIX, subnet: SUBNET, dir: DIR };

/**
 * A set beside DEFAULT_NETNS that moves with it: PREFIX plus `tag`, the next /24 (10.214.0 →
 * 10.214.1), a directory of its own — for a suite whose hosts must not be the SSH tests' (the
 * runner's across-hosts suite), wherever SAIO_TEST_NETNS_PREFIX and SUBNET put those.
 */
export function besideTestHosts(tag: string): NetnsConfig {
  const octets = SUBNET.split('.').map(Number);
  const third = octets[2] ?? NaN;
  if (octets.length !== 3 || !(third >= 0 && third < 255)) throw new Error(`SAIO_TEST_NETNS_SUBNET=${SUBNET}: expected the first three octets of a 10.x.y.0/24 network with y below 255`);
  const prefix = `${PREFIX}${tag}`;
  return { prefix, subnet: `${octets[0]}.${octets[1]}.${third + 1}`, dir: `/run/${prefix}-netns-hosts` };
}

export interface NetnsHost {
  name: string;
  address: string;
  namespace: string;
}

function scriptWith(cfg: NetnsConfig, ...args: string[]): { status: number | null; out: string } {
  const env = { ...process.env, SAIO_NETNS_PREFIX: cfg.prefix, SAIO_NETNS_SUBNET: cfg.subnet, SAIO_NETNS_DIR: cfg.dir };
  const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'netns-hosts.sh'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function script(...args: string[]): { status: number | null; out: string } {
  return scriptWith(DEFAULT_NETNS, ...args);
}

/** How long up() waits for another test run to give a set of hosts back. */
const LOCK_WAIT_MS = Number(process.env.SAIO_TEST_NETNS_WAIT_MS) || 20 * 60_000;

const lockPath = (cfg: NetnsConfig) => `${cfg.dir}.lock`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One test run at a time per set of hosts: two suites on one machine with the same prefix tore
 * each other's links down mid-test (down() of one while the other ran). The lock is a file holding
 * the owner's pid, made with O_EXCL; a dead owner's lock is taken over, a live one is waited for.
 */
function lock(cfg: NetnsConfig): void {
  const end = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(lockPath(cfg), `${process.pid}\n`, { flag: 'wx' });
      process.once('exit', () => unlock(cfg));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: number;
    try {
      owner = Number(readFileSync(lockPath(cfg), 'utf8').trim());
    } catch {
      continue; // given back between our two calls
    }
    if (owner === process.pid) return;
    if (!(owner > 0) || !alive(owner)) {
      rmSync(lockPath(cfg), { force: true });
      continue;
    }
    if (Date.now() > end)
      throw new Error(
        `test hosts ${cfg.prefix} (${cfg.subnet}.0/24) are still in use by pid ${owner} after ${LOCK_WAIT_MS / 1000} s: ` +
          'wait for that test run, or give this one its own with SAIO_TEST_NETNS_PREFIX and SAIO_TEST_NETNS_SUBNET',
      );
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

function unlock(cfg: NetnsConfig): void {
  try {
    if (Number(readFileSync(lockPath(cfg), 'utf8').trim()) === process.pid) rmSync(lockPath(cfg), { force: true });
  } catch {
    // not ours or already gone
  }
}

export function up(count: 2 | 3 = 3, cfg: NetnsConfig = DEFAULT_NETNS): NetnsHost[] {
  lock(cfg);
  const r = scriptWith(cfg, 'up', String(count));
  if (r.status !== 0) throw new Error(`scripts/netns-hosts.sh up failed (exit ${r.status}):\n${r.out}`);
  return readFileSync(join(cfg.dir, 'hosts'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [name, address, namespace] = l.split(' ') as [string, string, string];
      return { name, address, namespace };
    });
}

export function down(cfg: NetnsConfig = DEFAULT_NETNS): void {
  const r = scriptWith(cfg, 'down');
  unlock(cfg);
  if (r.status !== 0) throw new Error(`scripts/netns-hosts.sh down failed:\n${r.out}`);
}

export function status(): { status: number | null; out: string } {
  return script('status');
}

export function runScript(...args: string[]): { status: number | null; out: string } {
  return script(...args);
}

/** Pids of every process in a namespace (`ip netns pids`). */
export function pidsIn(namespace: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** The pid of the sshd a namespace's host runs (its pid file). */
export function sshdPid(name: string, cfg: NetnsConfig = DEFAULT_NETNS): number {
  return Number(readFileSync(join(cfg.dir, name, 'sshd.pid'), 'utf8').trim());
}

/** Processes in the namespace other than its sshd listener, as "pid comm". */
export function strangersIn(h: NetnsHost, cfg: NetnsConfig = DEFAULT_NETNS): string[] {
  const sshd = sshdPid(h.name, cfg);
  return pidsIn(h.namespace)
    .filter((p) => p !== sshd)
    .map((p) => {
      try {
        return `${p} ${readFileSync(`/proc/${p}/comm`, 'utf8').trim()}`;
      } catch {
        return '';
      }
    })
    .filter(Boolean);
}
