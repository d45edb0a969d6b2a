// Facts about a host learned through the Host interface itself (files under /proc and /sys, and
// `ip`), so that every kind of host answers them the same way: the environment snapshot, a free
// port, the network path to an address, the clock offset.
import { randomInt } from 'node:crypto';
import { parseCpuList } from '../runner/cpus';
import type { ClockOffset, Host, HostEnvironment, NetworkPath, ToolProbe } from './types';

const CPU_DIR = '/sys/devices/system/cpu';
const VULN_DIR = `${CPU_DIR}/vulnerabilities`;
export const ENV_FILES = [
  '/proc/sys/kernel/osrelease',
  '/proc/cmdline',
  '/etc/os-release',
  '/proc/cpuinfo',
  `${CPU_DIR}/online`,
  '/proc/meminfo',
  '/proc/self/status',
  '/proc/loadavg',
  `${CPU_DIR}/cpu0/cpufreq/scaling_governor`,
] as const;

const trim = (s: string | null | undefined) => (s ?? '').trim();

/** The snapshot fields every host reports, from the text of ENV_FILES (same regexes as runner/environment.ts). */
export function environmentFromFiles(files: readonly (string | null)[], vulnerabilities: Record<string, string>): Omit<HostEnvironment, 'host' | 'kind' | 'address' | 'tools'> {
  const [osrelease, cmdline, osRelease, cpuinfo, online, meminfo, selfStatus, loadavg, governor] = files.map(trim);
  const memKb = Number(/^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo ?? '')?.[1] ?? 0);
  return {
    captured_at: new Date().toISOString(),
    kernel: osrelease ?? '',
    kernel_cmdline: cmdline ?? '',
    os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease ?? '')?.[1] ?? 'Linux',
    cpu_model: /^model name\s*:\s*(.*)$/m.exec(cpuinfo ?? '')?.[1] ?? 'unknown',
    cpus: online ? parseCpuList(online).length : 0,
    memory_bytes: memKb * 1024,
    extra: {
      lab_cpus_allowed: /^Cpus_allowed_list:\s*(.*)$/m.exec(selfStatus ?? '')?.[1] ?? '',
      loadavg_at_start: loadavg ?? '',
      cpufreq_governor: governor || 'not exposed',
      ...vulnerabilities,
    },
  };
}

/** The snapshot of a host read through its own interface (SSH hosts, guests). */
export async function environmentOf(host: Host, tools: readonly ToolProbe[]): Promise<HostEnvironment> {
  const files = await host.readTextFiles(ENV_FILES);
  const names = (await host.listDir(VULN_DIR)).sort();
  const texts = await host.readTextFiles(names.map((n) => `${VULN_DIR}/${n}`));
  const vulns: Record<string, string> = {};
  names.forEach((n, i) => (vulns[`vulnerability.${n}`] = trim(texts[i])));
  return { host: host.name, kind: host.kind, address: host.address, ...environmentFromFiles(files, vulns), tools: await toolVersions(host, tools) };
}

/** Each tool's version as its parser reads it from `argv`'s output, or "missing". */
export async function toolVersions(host: Host, tools: readonly ToolProbe[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tools) {
    if ((await host.which(t.argv[0] as string)) === null) {
      out[t.name] = 'missing';
      continue;
    }
    const r = await host.exec(t.argv, { timeoutMs: 10_000 });
    // Some tools (wrk -v) print their version and exit non-zero: trust the parser, not the status.
    out[t.name] = t.parse(`${r.stdout}${r.stderr}`);
  }
  return out;
}

/**
 * A port no TCP socket of the host uses, from the kernel's own tables: a random one in
 * ip_local_port_range that no line of /proc/net/tcp{,6} has as its local port (listening or
 * connected). The same race as binding port 0 and closing it: a port is free when asked.
 */
export function pickFreePort(range: string | null, tcp: readonly (string | null)[], rng: (lo: number, hi: number) => number = randomInt): number {
  const [lo, hi] = (range ?? '32768 60999').trim().split(/\s+/).map(Number) as [number, number];
  const used = new Set<number>();
  for (const table of tcp) {
    for (const line of (table ?? '').split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      const port = local ? parseInt(local.split(':')[1] ?? '', 16) : NaN;
      if (Number.isInteger(port)) used.add(port);
    }
  }
  for (let i = 0; i < 1000; i++) {
    const p = rng(lo, hi + 1);
    if (!used.has(p)) return p;
  }
  throw new Error(`no free port found in ${lo}-${hi} (${used.size} in use)`);
}

export async function freePortOf(host: Host): Promise<number> {
  const [range, tcp, tcp6] = await host.readTextFiles(['/proc/sys/net/ipv4/ip_local_port_range', '/proc/net/tcp', '/proc/net/tcp6']);
  return pickFreePort(range ?? null, [tcp ?? null, tcp6 ?? null]);
}

/** `ip -o route get ADDR` → interface, source, gateway. */
export function parseRouteGet(text: string): { interface: string; source: string | null; via: string | null } | null {
  const dev = /\bdev (\S+)/.exec(text)?.[1];
  if (!dev) return null;
  return { interface: dev, source: /\bsrc (\S+)/.exec(text)?.[1] ?? null, via: /\bvia (\S+)/.exec(text)?.[1] ?? null };
}

/** The link's kind from `ip -o -d link show dev IF`. */
export function parseLinkKind(iface: string, text: string): string {
  if (iface === 'lo' || /\bloopback\b/.test(text)) return 'loopback';
  const k = /\\\s+(veth|bridge|vlan|macvlan|ipvlan|vxlan|tun|tap|dummy|bond|team|wireguard|geneve|gre|ipip)\b/.exec(text)?.[1];
  return k ?? 'device';
}

export async function networkPathOf(host: Host, to: string): Promise<NetworkPath> {
  if (!/^[0-9A-Fa-f:.]+$/.test(to)) throw new Error(`network path: ${JSON.stringify(to)} is not an IP address`);
  const route = await host.exec(['ip', '-o', 'route', 'get', to], { timeoutMs: 10_000 });
  const r = route.code === 0 ? parseRouteGet(route.stdout) : null;
  if (!r) throw new Error(`${host.name}: no route to ${to} (${(route.stderr || route.stdout).trim() || `ip exited ${route.code}`})`);
  const base = `/sys/class/net/${r.interface}`;
  const [mtu, speed, oper] = await host.readTextFiles([`${base}/mtu`, `${base}/speed`, `${base}/operstate`]);
  const link = await host.exec(['ip', '-o', '-d', 'link', 'show', 'dev', r.interface], { timeoutMs: 10_000 });
  const num = (s: string | null | undefined) => (s && /^\s*\d+\s*$/.test(s) && Number(s) > 0 ? Number(s) : null);
  return {
    to,
    ...r,
    mtu: num(mtu),
    speed_mbps: num(speed),
    link_kind: parseLinkKind(r.interface, link.stdout),
    operstate: trim(oper) || null,
  };
}

/**
 * The host's wall clock minus ours: `samples` readings of the remote `date`, each between two
 * local readings; the one with the shortest round trip wins, and half that trip bounds its error.
 */
export async function clockOffsetOf(host: Host, samples = 7): Promise<ClockOffset> {
  let best: ClockOffset | null = null;
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now() + performanceFraction();
    const r = await host.exec(['date', '+%s.%N'], { timeoutMs: 10_000 });
    const t1 = Date.now() + performanceFraction();
    const remote = Number(r.stdout.trim()) * 1000;
    if (r.code !== 0 || !Number.isFinite(remote)) throw new Error(`${host.name}: date +%s.%N failed: ${r.stderr.trim()}`);
    const c = { offset_ms: remote - (t0 + t1) / 2, uncertainty_ms: (t1 - t0) / 2, samples };
    if (!best || c.uncertainty_ms < best.uncertainty_ms) best = c;
  }
  return best as ClockOffset;
}

/** Sub-millisecond part of now (Date.now() has 1 ms steps). */
function performanceFraction(): number {
  return (performance.timeOrigin + performance.now()) % 1;
}

export { parseCpuList };
