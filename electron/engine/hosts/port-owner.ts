// Who listens on a server's port. A port found free (bind 0, release) can be taken by someone else
// before the server binds it; with SO_REUSEPORT on both sides (nginx's `listen … reuseport`, a
// second lab's nginx) the bind succeeds and the kernel spreads new connections over both
// listeners, so part of the load is answered by a stranger. After a server says it is ready, the
// runner compares the kernel's LISTEN sockets on its address:port (/proc/PID/net/tcp and tcp6, in
// the server's own network namespace) with the sockets its processes hold (/proc/PID/fd), through
// the Host interface so that the same check runs here, over SSH and in a guest.
import type { Host } from './types';

export interface Listener {
  /** Dotted IPv4, or IPv6 as URL hostnames write it (an IPv4-mapped one as its IPv4). */
  address: string;
  port: number;
  inode: number;
  uid: number;
}

export interface ForeignListener extends Listener {
  /** Processes holding the socket, when their fds can be read (else empty: see uid). */
  owners: { pid: number; comm: string }[];
}

const LISTEN = '0A';

/** /proc/net/tcp words are native-endian 32-bit numbers printed in hex (x86 and arm64: little). */
function wordBytes(hex: string): number[] {
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

function addressOf(hex: string): string {
  const bytes = hex.length === 8 ? wordBytes(hex) : [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
  if (bytes.length === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** 127.0.0.1 stays; an IPv6 address in its shortest form (::1, fe80::1), without brackets. */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  const a = address.replace(/^\[|\]$/g, '');
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a;
  }
}

/** The LISTEN rows of a /proc/net/tcp or tcp6 table. */
export function parseListeners(table: string): Listener[] {
  const out: Listener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [addr, port] = (f[1] as string).split(':') as [string, string];
    if (!/^[0-9A-Fa-f]+$/.test(addr) || (addr.length !== 8 && addr.length !== 32)) continue;
    out.push({ address: addressOf(addr), port: parseInt(port, 16), uid: Number(f[7]), inode: Number(f[9]) });
  }
  return out;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * Whether a listener on `theirs` can take connections meant for `ours` (same port): the same
 * address, or a wildcard on either side. An IPv6 wildcard counts even if it is V6ONLY (the table
 * does not say): a needless move to another port costs one retry, a missed stranger a run.
 */
export function sameTraffic(theirs: string, ours: string): boolean {
  const a = canonicalAddress(theirs);
  const b = canonicalAddress(ours);
  return a === b || WILDCARD.has(a) || WILDCARD.has(b);
}

/**
 * The listeners on `address:port` as the process group `pgid` sees them (its network namespace),
 * split into the group's own sockets and the others, whose owners are looked for among every
 * process of the host (only done when there is a stranger).
 */
export async function portListeners(host: Host, o: { pgid: number; address: string; port: number }): Promise<{ ours: Listener[]; foreign: ForeignListener[] }> {
  const members = await host.processesInGroup(o.pgid);
  const ns = members.includes(o.pgid) ? o.pgid : members[0];
  const tables = await host.readTextFiles(ns === undefined ? ['/proc/net/tcp', '/proc/net/tcp6'] : [`/proc/${ns}/net/tcp`, `/proc/${ns}/net/tcp6`]);
  const listening = tables.flatMap((t) => parseListeners(t ?? '')).filter((l) => l.port === o.port && sameTraffic(l.address, o.address));
  if (listening.length === 0) return { ours: [], foreign: [] };
  const held = new Set([...(await host.socketInodes(members)).values()].flat());
  const ours = listening.filter((l) => held.has(l.inode));
  const strangers = listening.filter((l) => !held.has(l.inode));
  if (strangers.length === 0) return { ours, foreign: [] };
  const others = (await host.listDir('/proc'))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => !members.includes(p));
  const sockets = await host.socketInodes(others);
  const owning = (inode: number) =>
    [...sockets]
      .filter(([, inodes]) => inodes.includes(inode))
      .map(([pid]) => pid)
      .sort((a, b) => a - b);
  const pids = [...new Set(strangers.flatMap((l) => owning(l.inode)))];
  const comms = await host.readTextFiles(pids.map((p) => `/proc/${p}/comm`));
  const comm = new Map(pids.map((p, i) => [p, (comms[i] ?? '?').trim()]));
  return { ours, foreign: strangers.map((l) => ({ ...l, owners: owning(l.inode).map((pid) => ({ pid, comm: comm.get(pid) ?? '?' })) })) };
}

/** "pid 1234 (nginx), pid 1240 (nginx)", or the socket's uid when no owner could be read. */
export function ownersText(l: ForeignListener): string {
  return l.owners.length > 0 ? l.owners.map((o) => `pid ${o.pid} (${o.comm})`).join(', ') : `a process of uid ${l.uid} whose fds cannot be read`;
}
