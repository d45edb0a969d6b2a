// Test hosts for the SSH tests: scripts/netns-hosts.sh with a prefix, subnet and directory of the
// tests' own (saiot, 10.214.0), so a person's own `netns-hosts.sh up` (saio, 10.213.0) is never
// touched. up() makes them (root, iproute2 and openssh-server are needed: the test fails and
// says so when they are missing); down() removes everything. SAIO_TEST_NETNS_PREFIX and
// SAIO_TEST_NETNS_SUBNET move them aside when two test runs share one network namespace (the
// fresh-machine check's chroot runs beside this machine's own suites: the same names would
// tear down each other's links mid-test).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

export function up(count: 2 | 3 = 3, cfg: NetnsConfig = DEFAULT_NETNS): NetnsHost[] {
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
