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

export interface NetnsHost {
  name: string;
  address: string;
  namespace: string;
}

function script(...args: string[]): { status: number | null; out: string } {
  const env = { ...process.env, SAIO_NETNS_PREFIX: PREFIX, SAIO_NETNS_SUBNET: SUBNET, SAIO_NETNS_DIR: DIR };
  const r = spawnSync('bash', [join(repoRoot(), 'scripts', 'netns-hosts.sh'), ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export function up(count: 2 | 3 = 3): NetnsHost[] {
  const r = script('up', String(count));
  if (r.status !== 0) throw new Error(`scripts/netns-hosts.sh up failed (exit ${r.status}):\n${r.out}`);
  return readFileSync(join(DIR, 'hosts'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [name, address, namespace] = l.split(' ') as [string, string, string];
      return { name, address, namespace };
    });
}

export function down(): void {
  const r = script('down');
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
export function sshdPid(name: string): number {
  return Number(readFileSync(join(DIR, name, 'sshd.pid'), 'utf8').trim());
}

/** Processes in the namespace other than its sshd listener, as "pid comm". */
export function strangersIn(h: NetnsHost): string[] {
  const sshd = sshdPid(h.name);
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
