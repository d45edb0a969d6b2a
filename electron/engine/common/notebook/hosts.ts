// Where a cell's processes run (issue 15): the notebook names its hosts once, at the top level,
// and each experiment cell places its server and its load generator on one of them. `local` (this
// machine) is implied and is the default of every role, so a notebook without hosts runs as before.
// A host is reached with the system's OpenSSH client (engine/hosts/ssh.ts); its value is what one
// would type after `ssh`, or an object when the lab needs more (an ssh config file, the address the
// other hosts reach it at). Part of format 2: the fields are optional, older notebooks stay valid.
import { z } from 'zod';
import { parseDestination } from './ssh-destination';

export const LOCAL_HOST = 'local';

export const hostName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'a host name: 1 to 32 of a-z, 0-9, "_", "-", starting with a letter or digit');

const destination = z.string().superRefine((text, ctx) => {
  try {
    parseDestination(text);
  } catch (e) {
    // Nothing ssh could read as an option or a shell could read as syntax gets through.
    const port = /port \d+ is not 1-65535/.exec((e as Error).message)?.[0];
    ctx.addIssue({ code: 'custom', message: `ssh://user@host[:port], user@host or a Host of the ssh config${port ? ` (${port})` : ''}, found ${JSON.stringify(text)}` });
  }
});

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const SshHostSpec = z.strictObject({
  /** ssh://user@host[:port], user@host, or a Host of the ssh config. */
  ssh: destination,
  /** An ssh config file used instead of ~/.ssh/config (ssh -F), absolute. */
  ssh_config: z
    .string()
    .regex(/^\/[^\0]{0,4095}$/, 'an absolute path')
    .optional(),
  /**
   * The IPv4 address the other hosts reach this one at (a server placed here binds to it). Absent:
   * the HostName ssh resolves the destination to, when that is an IPv4 address.
   */
  address: z.string().regex(IPV4, 'an IPv4 address such as 10.213.0.2').optional(),
});

/**
 * A QEMU guest the lab boots for a run (issue 14): Debian's stock kernel (or the one given) with
 * this machine's root shared read-only, so the guest runs this machine's own programs; a cell
 * placed there runs its server and its load generator inside, and saio.ko is loaded in its kernel.
 */
export const QemuHostSpec = z.strictObject({
  kind: z.literal('qemu'),
  /** Virtual CPUs (under TCG each one is a thread of this machine). */
  cpus: z.number().int().min(1).max(16).default(2),
  memory_mb: z.number().int().min(256).max(65536).default(2048),
  /** "debian": the newest Debian kernel with headers here (kmod/scripts/debian-kernel.sh), or /boot/vmlinuz-VERSION. */
  kernel: z
    .union([z.literal('debian'), z.string().regex(/^\/boot\/vmlinuz-[A-Za-z0-9._+-]{1,128}$/, 'a kernel image /boot/vmlinuz-VERSION')], {
      error: '"debian" or a kernel image /boot/vmlinuz-VERSION (its headers in /usr/src/linux-headers-VERSION)',
    })
    .default('debian'),
  /** auto: KVM when a short boot probe succeeds, else TCG (software emulation). */
  accel: z.enum(['auto', 'kvm', 'tcg']).default('auto'),
});

/** A host as the notebook gives it: a destination string, the ssh object form, or a QEMU guest. */
export const HostSpec = z.union([destination, SshHostSpec, QemuHostSpec], {
  error:
    'an ssh destination ("ssh://user@host", "user@host", a Host of the ssh config), { "ssh": …, "ssh_config"?: …, "address"?: … } or { "kind": "qemu", "cpus"?: …, "memory_mb"?: …, "kernel"?: "debian" | "/boot/vmlinuz-V" }',
});

export const Hosts = z.record(hostName, HostSpec).superRefine((hosts, ctx) => {
  if (LOCAL_HOST in hosts) ctx.addIssue({ code: 'custom', path: [LOCAL_HOST], message: `no host named "${LOCAL_HOST}": it is this machine, always there` });
  if (Object.keys(hosts).length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 hosts' });
});

export type HostSpec = z.infer<typeof HostSpec>;
export type QemuHostSpec = z.infer<typeof QemuHostSpec>;
export type NotebookHosts = z.infer<typeof Hosts>;

/** The guest spec of a QEMU host, or null for a host reached over ssh. */
export function qemuSpecOf(spec: HostSpec | undefined): QemuHostSpec | null {
  return spec !== undefined && typeof spec === 'object' && 'kind' in spec ? spec : null;
}

/** The object form of an ssh host spec (a QEMU guest has none: it is refused here). */
export function sshSpecOf(spec: HostSpec): z.infer<typeof SshHostSpec> {
  if (typeof spec === 'string') return { ssh: spec };
  if ('kind' in spec) throw new Error('a QEMU guest is not reached by an ssh destination of the notebook');
  return spec;
}

/** Per cell: which host runs the server and which the load generator. */
export const Placement = {
  /** The host the server runs on; default local. */
  server_host: hostName.optional(),
  /**
   * The hosts the load generator runs on; default [local]. Several: each point's connections and
   * offered rate are split between them (runner/split-load.ts) and their results merged exactly.
   */
  driver_hosts: z.array(hostName).min(1).max(16).optional(),
};

/** Problems of a cell's placement against the notebook's hosts, with paths relative to the cell. */
export function placementIssues(
  hosts: NotebookHosts | undefined,
  cell: { server_host?: string; driver_hosts?: string[]; backends: string[]; driver?: { kind: string }; sweep?: { connections: number[] }; protocol?: { kind: string; keys?: number } },
): { path: (string | number)[]; message: string }[] {
  const known = [LOCAL_HOST, ...Object.keys(hosts ?? {})];
  const list = known.map((n) => `"${n}"`).join(', ');
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (cell.server_host !== undefined && !known.includes(cell.server_host)) {
    issues.push({ path: ['server_host'], message: `a host of the notebook's "hosts" (${list}), found "${cell.server_host}"` });
  }
  cell.driver_hosts?.forEach((h, j) => {
    if (!known.includes(h)) issues.push({ path: ['driver_hosts', j], message: `a host of the notebook's "hosts" (${list}), found "${h}"` });
  });
  const drivers = cell.driver_hosts ?? [];
  drivers.forEach((h, j) => {
    const first = drivers.indexOf(h);
    if (first < j) issues.push({ path: ['driver_hosts', j], message: `each load host once ("${h}" is already driver_hosts[${first}]); to give a host more load, raise the connections or the rate` });
  });
  if (drivers.length > 1) {
    if (cell.driver && cell.driver.kind !== 'saio-load') {
      issues.push({
        path: ['driver_hosts'],
        message: `several load hosts need driver "saio-load" (its histograms merge exactly and it starts at an agreed time); "${cell.driver.kind}" runs on one host only`,
      });
    }
    const fewest = Math.min(...(cell.sweep?.connections ?? [Infinity]));
    if (fewest < drivers.length) {
      issues.push({ path: ['sweep', 'connections'], message: `at least ${drivers.length} connections (one per load host of driver_hosts), found ${fewest}` });
    }
    const keys = cell.protocol?.keys;
    const most = Math.max(...(cell.sweep?.connections ?? [0]));
    if (keys !== undefined && keys < most) issues.push({ path: ['protocol', 'keys'], message: `at least ${most} keys (one per connection, split between the load hosts), found ${keys}` });
  }
  // A guest's network is its own (user-mode, no way in but the lab's forwards): whatever a cell
  // places in a guest, it places wholly there, server and every load generator.
  const server = cell.server_host ?? LOCAL_HOST;
  const guests = [server, ...drivers].filter((h) => qemuSpecOf(hosts?.[h]) !== null);
  for (const g of new Set(guests)) {
    if (server !== g)
      issues.push({ path: ['server_host'], message: `"${g}" (a QEMU guest) in driver_hosts needs the server there too: "server_host": "${g}" (a guest's network is reached from nowhere else)` });
    else if (drivers.length !== 1 || drivers[0] !== g)
      issues.push({ path: ['driver_hosts'], message: `the server in the QEMU guest "${g}" needs its load generator there too: "driver_hosts": ["${g}"]` });
  }
  // The module step (build, insmod, rmmod) runs on this machine or inside a QEMU guest.
  if (server !== LOCAL_HOST && qemuSpecOf(hosts?.[server]) === null && cell.backends.includes('saio-kmod')) {
    issues.push({
      path: ['backends'],
      message: `no "saio-kmod" with the server on "${cell.server_host}": the kernel module is loaded on this machine or in a QEMU guest only (place the server on "local" or on a host of "kind": "qemu")`,
    });
  }
  return issues;
}
