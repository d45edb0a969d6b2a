// Where a cell's server and load generator run (issue 15). A cell placed wholly on this machine
// needs none of this: the runner keeps its own local path, byte for byte. A cell with a role on
// another host gets, before any point: one SshHost per host (one ControlMaster each), the host
// check (reachable, the server program there, saio-load and libsaio of this tree's build, copied
// when another or none is there) with one line per problem, the address the server binds to, and
// each host's environment, clock offset and network path for the run's record.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { libsaioPath } from '../backends/saio';
import type { Driver } from '../drivers/types';
import { checkHosts, sha256File, type Need } from '../hosts/check';
import { HostCpuReader } from '../hosts/cpu';
import { allowedCpus as localAllowedCpus } from './cpus';
import { HostPlacementSampler } from '../hosts/placement';
import { LocalHost } from '../hosts/local';
import { GuestHost } from '../hosts/qemu/guest';
import { bootGuest, type GuestPool } from '../hosts/qemu/pool';
import { SshHost } from '../hosts/ssh';
import type { Host, ToolProbe } from '../hosts/types';
import type { PlacementSample, RunHostRecord } from '../model';
import { LOCAL_HOST, qemuSpecOf, sshSpecOf, type NotebookHosts, type QemuHostSpec } from '../common/notebook/hosts';
import type { ExperimentCell } from '../common/notebook/schema';
import type { Dataset } from '../protocols/types';
import type { ServerModule } from '../servers/types';

const run = promisify(execFile);

export type Role = 'server' | 'driver';

/** The host names a cell places its roles on (local when the cell says nothing). */
export function placementOf(cell: ExperimentCell): Record<Role, string> {
  return { server: cell.server_host ?? LOCAL_HOST, driver: cell.driver_hosts?.[0] ?? LOCAL_HOST };
}

/** The hosts a cell's load generators run on, in the notebook's order (one, local, when it says nothing). */
export function driverHostsOf(cell: ExperimentCell): string[] {
  return cell.driver_hosts && cell.driver_hosts.length > 0 ? [...cell.driver_hosts] : [LOCAL_HOST];
}

/** True when the cell runs anything anywhere but on this machine. */
export function usesOtherHosts(cell: ExperimentCell): boolean {
  return [placementOf(cell).server, ...driverHostsOf(cell)].some((h) => h !== LOCAL_HOST);
}

/** The IPv4 address ssh resolves a destination to (`ssh -G`), or null when it is a name ssh leaves to DNS. */
export async function sshHostname(destination: string, configFile?: string): Promise<string | null> {
  const argv = [...(configFile ? ['-F', configFile] : []), '-G', '--', destination];
  const { stdout } = await run('ssh', argv, { timeout: 10_000 });
  const name = /^hostname (\S+)$/m.exec(stdout)?.[1] ?? null;
  return name !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? name : null;
}

const isSaio = (backend: string) => backend.startsWith('saio-');

/** A host a cell's role runs on that is not this machine. */
export type RemoteHost = SshHost | GuestHost;

/** The guest's address on its own user-mode network: where a server in a guest listens. */
export const GUEST_ADDRESS = '10.0.2.15';

/** What a cell's guests need from the runner: the notebook run's pool (guests kept across cells) and a progress line. */
export interface GuestUse {
  pool?: GuestPool;
  onProgress?: (line: string) => void;
}

/** A run-level file the hosts leave (a guest's console and kernel log). */
export interface HostRunArtifact {
  kind: string;
  name: string;
  content: Buffer;
}

/** The other hosts of one run of one cell: opened, checked, described, sampled, closed. */
export class CellHosts {
  /** The server's host and the first load host (the one a single-generator point uses). */
  readonly placement: Record<Role, string>;
  /** Every load host, in the notebook's order: each point's load is split between them. */
  readonly driverHosts: string[];
  /** Remote hosts by name (local roles run through the runner's own local path); guests join in open(). */
  private readonly remote = new Map<string, RemoteHost>();
  /** The QEMU guests the cell uses, by name, booted (or taken from the pool) in open(). */
  private readonly guestSpecs = new Map<string, QemuHostSpec>();
  /** Per guest: where this run's console lines begin, and whether the pool keeps it after the run. */
  private readonly guestRuns = new Map<string, { mark: number; pooled: boolean }>();
  /** Per guest: local port → the forward made for it (removed at close). */
  private readonly forwards: { guest: GuestHost; port: number }[] = [];
  private readonly samplers = new Map<string, HostPlacementSampler>();
  /** Per remote host: the run's CPU reader there (startCpuReaders). */
  private readonly cpuReaders = new Map<string, HostCpuReader>();
  /** Per remote host: program or file → its path there (from the host check). */
  private readonly paths = new Map<string, Record<string, string>>();
  private readonly notes = new Map<string, string[]>();
  /** Where the server listens: an address every load host and the lab reach. */
  bindAddress = '127.0.0.1';
  /** Per remote host: its clock minus the lab's (ms), from describe(), 0 when within its uncertainty; a start time there is shifted by it. */
  readonly clockOffsetMs = new Map<string, number>();
  /** The dataset as each remote host sees it (placeDataset). */
  private readonly datasetsByHost = new Map<string, Dataset>();

  constructor(
    readonly cell: ExperimentCell,
    readonly hosts: NotebookHosts,
    readonly runId: string,
    private readonly runStartedAt: number,
  ) {
    this.placement = placementOf(cell);
    this.driverHosts = driverHostsOf(cell);
    for (const name of new Set([this.placement.server, ...this.driverHosts])) {
      if (name === LOCAL_HOST) continue;
      const spec = hosts[name];
      if (!spec) throw new Error(`cell "${cell.id}" places a process on host "${name}", which the notebook's "hosts" does not name`);
      const guest = qemuSpecOf(spec);
      if (guest) {
        this.guestSpecs.set(name, guest);
        continue;
      }
      const s = sshSpecOf(spec);
      this.remote.set(name, new SshHost({ name, destination: s.ssh, configFile: s.ssh_config, runId, connectTimeoutS: 5 }));
    }
  }

  /** The remote host of a role, or null when the role runs on this machine. */
  hostOf(role: Role): RemoteHost | null {
    return this.remote.get(this.placement[role]) ?? null;
  }

  /** A host by its notebook name, or null for this machine. */
  named(name: string): RemoteHost | null {
    return this.remote.get(name) ?? null;
  }

  /** The guest the server runs in, or null. */
  serverGuest(): GuestHost | null {
    const h = this.hostOf('server');
    return h instanceof GuestHost ? h : null;
  }

  /** The guests of this run. */
  guests(): GuestHost[] {
    return [...this.remote.values()].filter((h): h is GuestHost => h instanceof GuestHost);
  }

  /**
   * The port the lab itself reaches a server on (its readiness and the check after the load):
   * the server's own port, or for a server in a guest a port of 127.0.0.1 forwarded into it.
   */
  async labPort(port: number): Promise<{ address: string; port: number }> {
    const guest = this.serverGuest();
    if (!guest) return { address: this.bindAddress, port };
    const local = await guest.forward(port);
    this.forwards.push({ guest, port: local });
    return { address: '127.0.0.1', port: local };
  }

  /** Removes the forwards labPort made (one point's). */
  async dropForwards(): Promise<void> {
    const all = this.forwards.splice(0);
    for (const f of all) await f.guest.unforward(f.port);
  }

  /**
   * Why a command in a guest failed, when the guest is the cause: it died (QEMU gone) or its
   * kernel showed trouble. Waits a moment, since QEMU's exit may be seen after the failure.
   */
  async guestFailure(): Promise<string | null> {
    for (const g of this.guests()) {
      const dead = await g.settle();
      if (dead) return `${g.name}: the guest died: ${dead}`;
      if (g.trouble.length > 0)
        return `${g.name}: guest kernel trouble: ${g.trouble
          .slice(0, 8)
          .map((l) => JSON.stringify(l))
          .join('; ')}`;
    }
    return null;
  }

  /** Boots (or takes from the pool) every guest of the cell; one line per guest that did not come up. */
  private async bootGuests(runId: string, use: GuestUse): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.guestSpecs].map(async ([name, spec]) => {
        const say = (l: string) => use.onProgress?.(`${name}: ${l}`);
        try {
          const got = use.pool ? await use.pool.acquire({ name, spec, runId, onProgress: say }) : { guest: await bootGuest({ name, spec, runId, onProgress: say }), reused: false };
          this.remote.set(name, got.guest);
          this.guestRuns.set(name, { mark: got.reused ? got.guest.consoleMark() : 0, pooled: use.pool !== undefined });
        } catch (e) {
          problems.push(`${name} (QEMU guest): ${(e as Error).message}`);
        }
      }),
    );
    return problems;
  }

  /** What each remote host must have for this cell. */
  private needs(server: ServerModule, driver: Driver): Map<string, Need[]> {
    const needs = new Map<string, Need[]>([...this.remote.keys()].map((n) => [n, []]));
    const serverNeeds = needs.get(this.placement.server);
    if (serverNeeds) {
      serverNeeds.push({ kind: 'program', program: server.versionArgv[0] as string, for: `the cell's server (${server.kind}; Debian: apt-get install ${server.apt})` });
      const lib = libsaioPath();
      if (this.cell.backends.some(isSaio) && existsSync(lib)) serverNeeds.push({ kind: 'file', what: 'libsaio.so', path: lib, sha256: sha256File(lib), copyFrom: lib, mode: 0o644 });
    }
    for (const name of this.driverHosts) {
      const driverNeeds = needs.get(name);
      if (!driverNeeds) continue;
      const program = driver.versionArgv()[0] as string;
      if (program.startsWith('/')) {
        if (existsSync(program)) driverNeeds.push({ kind: 'file', what: driver.kind, path: program, sha256: sha256File(program), copyFrom: program, mode: 0o755 });
      } else driverNeeds.push({ kind: 'program', program, for: `the load generator (${driver.kind})` });
    }
    return needs;
  }

  /**
   * Connect to every remote host and check it; returns one line per problem (empty: ready). The
   * server's address is resolved here too, since a host that cannot be placed is a problem as well.
   */
  async open(server: ServerModule, driver: Driver, guests: GuestUse = {}): Promise<string[]> {
    const booted = await this.bootGuests(this.runId, guests);
    if (booted.length > 0) return booted;
    const needs = this.needs(server, driver);
    const checked = await checkHosts([...this.remote.values()].map((host) => ({ host, needs: needs.get(host.name) ?? [] })));
    for (const c of checked.checks) {
      this.paths.set(c.host, { ...c.programs, ...c.files });
      this.notes.set(c.host, c.notes);
    }
    if (!checked.ok) return checked.problems;
    try {
      this.bindAddress = await this.resolveBindAddress();
    } catch (e) {
      return [(e as Error).message];
    }
    const pinning = await this.pinningProblems();
    if (pinning.length > 0) return pinning;
    for (const [name, host] of this.remote) this.samplers.set(name, new HostPlacementSampler(host, this.runStartedAt));
    return [];
  }

  /**
   * The server's host's address as the others reach it: given in the notebook, or the IPv4 address
   * ssh resolves it to; a server on this machine serving a remote load host binds to this machine's
   * address on the route to that host.
   */
  private async resolveBindAddress(): Promise<string> {
    const server = this.hostOf('server');
    // A guest's load generators are in the guest too (placementIssues): its own address, which
    // nothing outside reaches but the lab's forwards.
    if (server instanceof GuestHost) return GUEST_ADDRESS;
    if (server) {
      const spec = sshSpecOf(this.hosts[server.name] as NonNullable<NotebookHosts[string]>);
      const address = spec.address ?? (await sshHostname(spec.ssh, spec.ssh_config));
      if (!address)
        throw new Error(
          `${server.name} (${server.address}): the server binds to this host's address, but ssh resolves "${spec.ssh}" to no IPv4 address — give it as "address" in the notebook's hosts`,
        );
      return address;
    }
    const driver = this.driverHosts.map((n) => this.remote.get(n)).find((h) => h !== undefined);
    if (!driver) return '127.0.0.1';
    const spec = sshSpecOf(this.hosts[driver.name] as NonNullable<NotebookHosts[string]>);
    const target = spec.address ?? (await sshHostname(spec.ssh, spec.ssh_config));
    if (!target)
      throw new Error(
        `${driver.name} (${driver.address}): the local server must bind to the address this load host reaches, but ssh resolves "${spec.ssh}" to no IPv4 address — give it as "address" in the notebook's hosts`,
      );
    const path = await new LocalHost('/nonexistent').networkPath(target);
    if (!path.source) throw new Error(`this machine has no source address on its route to ${driver.name} (${target}, via ${path.interface})`);
    return path.source;
  }

  /** Pinned CPUs are CPUs of the role's host: each role's list checked against what that host allows. */
  private async pinningProblems(): Promise<string[]> {
    const problems: string[] = [];
    const placed: [Role, string][] = [['server', this.placement.server], ...this.driverHosts.map((n): [Role, string] => ['driver', n])];
    for (const [role, name] of placed) {
      const want = this.cell.pinning[role];
      if (!want) continue;
      const host = this.remote.get(name);
      const allowed = host ? await host.allowedCpus() : localAllowedCpus();
      const missing = want.filter((c) => !allowed.includes(c));
      if (missing.length > 0) {
        problems.push(`${name}: pinning.${role} names CPU ${missing.join(', ')}, but the lab may use CPUs ${allowed.join(', ')} there; edit the notebook's pinning (or remove it) and run again`);
      }
    }
    return problems;
  }

  /** The server's version, asked on its host. */
  async serverVersion(server: ServerModule): Promise<string> {
    const host = this.hostOf('server') as RemoteHost;
    const program = this.paths.get(host.name)?.[server.versionArgv[0] as string] ?? (server.versionArgv[0] as string);
    const r = await host.exec([program, ...server.versionArgv.slice(1)], { timeoutMs: 15_000 });
    return server.parseVersion(`${r.stdout}\n${r.stderr}`);
  }

  /** argv with its program replaced by the path the host check found (or copied) on the role's host. */
  argvOn(role: Role, argv: readonly string[], hostName: string = this.placement[role]): string[] {
    const host = this.remote.get(hostName);
    const found = host ? (this.paths.get(host.name)?.[argv[0] as string] ?? this.paths.get(host.name)?.[role === 'driver' ? this.cell.driver.kind : '']) : undefined;
    return found ? [found, ...argv.slice(1)] : [...argv];
  }

  /** A server environment with this machine's libsaio replaced by the one on the server's host. */
  envOnServer(env: Record<string, string>): Record<string, string> {
    const there = this.paths.get(this.placement.server)?.['libsaio.so'];
    if (!there || env.LD_PRELOAD === undefined) return env;
    return {
      ...env,
      LD_PRELOAD: env.LD_PRELOAD.split(' ')
        .map((p) => (p === libsaioPath() ? there : p))
        .join(' '),
    };
  }

  /**
   * The dataset as each role sees it: files made here are copied into the run's directory on a
   * remote host (the server's docroot, the load generator's file to check bodies against).
   */
  async placeDataset(local: Dataset): Promise<Record<Role, Dataset>> {
    const out: Record<Role, Dataset> = { server: local, driver: local };
    const copied = new Map<string, Dataset>();
    const placed: [Role | null, string][] = [['server', this.placement.server], ...this.driverHosts.map((n, i): [Role | null, string] => [i === 0 ? 'driver' : null, n])];
    for (const [role, name] of placed) {
      const host = this.remote.get(name);
      if (!host || local.docRoot === null) continue;
      let there = copied.get(host.name);
      if (!there) {
        const docRoot = `${host.runDir}/dataset/docroot`;
        await host.mkdirp(docRoot);
        for (const f of readdirSync(local.docRoot)) await host.writeFile(`${docRoot}/${f}`, readFileSync(join(local.docRoot, f)), { mode: 0o644 });
        // HTTPS: the run's certificate and key go where the server runs (the key readable by root only).
        let tls = local.tls ?? null;
        if (tls) {
          const dir = `${host.runDir}/dataset/tls`;
          await host.mkdirp(dir);
          await host.writeFile(`${dir}/cert.pem`, readFileSync(tls.cert), { mode: 0o644 });
          await host.writeFile(`${dir}/key.pem`, readFileSync(tls.key), { mode: 0o600 });
          tls = { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
        }
        there = { ...local, docRoot, bodyFile: local.fileName === null ? null : `${docRoot}/${local.fileName}`, tls };
        copied.set(host.name, there);
        this.datasetsByHost.set(host.name, there);
      }
      if (role) out[role] = there;
    }
    // A file made here must read back the same there: a body check against a different file would lie.
    for (const [name, d] of copied) {
      const host = this.remote.get(name) as RemoteHost;
      if (d.bodyFile && local.sha256 && (await host.sha256(d.bodyFile)) !== local.sha256) throw new Error(`${name}: the dataset copied to ${d.bodyFile} reads back with another sha256`);
    }
    return out;
  }

  /** The point's directory on the server's host (its config, pid, log and libsaio's statistics). */
  async pointDirOnServer(localPointDir: string): Promise<string> {
    const host = this.hostOf('server') as RemoteHost;
    const dir = `${host.runDir}/${localPointDir.split('/').pop() as string}`;
    await host.mkdirp(dir);
    return dir;
  }

  /** Files a remote server left in its point directory, copied into the local one (the artifacts). */
  async fetchServerFiles(remoteDir: string, localDir: string, wanted: (name: string) => boolean): Promise<void> {
    const host = this.hostOf('server') as RemoteHost;
    for (const name of await host.listDir(remoteDir)) {
      if (!wanted(name)) continue;
      try {
        writeFileSync(join(localDir, name), await host.readFile(`${remoteDir}/${name}`));
      } catch {
        // gone meanwhile (a temp file): nothing to keep
      }
    }
  }

  /** The dataset as a load host sees it: its copy there, or `local` for this machine (or when nothing was copied). */
  datasetOn(name: string, local: Dataset): Dataset {
    return this.datasetsByHost.get(name) ?? local;
  }

  track(role: Role, pgrp: number, hostName: string = this.placement[role]): void {
    this.samplers.get(hostName)?.add({ role, pgrp });
  }

  untrack(role: Role, pgrp: number, hostName: string = this.placement[role]): void {
    this.samplers.get(hostName)?.remove(pgrp);
  }

  /**
   * One CPU reader per remote host for the whole run (hosts/cpu.ts): it follows every server and
   * load generator the run starts there, so a point's CPU is picked from readings timed there
   * rather than asked for over a login. Its stderr goes to `dir`.
   */
  startCpuReaders(dir: string): void {
    for (const [name, host] of this.remote) if (!this.cpuReaders.has(name)) this.cpuReaders.set(name, HostCpuReader.start(host, { dir }));
  }

  /** The CPU reader of a remote host, or null (this machine, or none started). */
  cpuReader(name: string): HostCpuReader | null {
    return this.cpuReaders.get(name) ?? null;
  }

  startSampling(): void {
    for (const s of this.samplers.values()) s.start();
  }

  async stopSampling(): Promise<void> {
    await Promise.all([...this.samplers.values()].map((s) => s.stop()));
  }

  /** Placement samples of every remote host since the last drain, each naming its host. */
  drain(): PlacementSample[] {
    return [...this.samplers.values()].flatMap((s) => s.drain());
  }

  /** What each host used is like, for the run's record (remote hosts; this machine when it has a role). */
  async describe(probes: Record<Role, ToolProbe>): Promise<RunHostRecord[]> {
    const out: RunHostRecord[] = [];
    const names = [...new Set([this.placement.server, ...this.driverHosts])];
    for (const name of names) {
      const roles = (['server', 'driver'] as const).filter((r) => (r === 'server' ? this.placement.server === name : this.driverHosts.includes(name)));
      const remote = this.remote.get(name);
      const host: Host = remote ?? new LocalHost('/nonexistent');
      const tools = roles.map((r) => ({ ...probes[r], argv: remote ? this.argvOn(r, probes[r].argv, name) : probes[r].argv }));
      const environment = await host.environment(tools);
      const clock = remote ? await remote.clockOffset() : null;
      // An offset within its own uncertainty is no measured difference (one kernel, or NTP-synced
      // hosts): shifting a start time by it would only add the estimate's noise (a slow login shell biases it).
      if (clock) this.clockOffsetMs.set(name, Math.abs(clock.offset_ms) > clock.uncertainty_ms ? clock.offset_ms : 0);
      // The path load travels: from a load host to the server's address (the lab's own route for a local role).
      const network = this.bindAddress === '127.0.0.1' || remote instanceof GuestHost ? null : await host.networkPath(this.bindAddress);
      out.push({ name, kind: host.kind, address: host.address, roles, environment, clock_offset: clock, network_path: network, notes: this.notes.get(name) ?? [] });
    }
    return out;
  }

  /** Sampling rounds and their cost per remote host (the run's sampler.json). */
  samplerCost(): Record<string, { rounds: number; mean_round_us: number; skipped: number; last_error: string | null }> {
    const out: Record<string, { rounds: number; mean_round_us: number; skipped: number; last_error: string | null }> = {};
    for (const [name, s] of this.samplers) out[name] = { rounds: s.roundCount, mean_round_us: s.meanCostUs(), skipped: s.skipped, last_error: s.lastError };
    return out;
  }

  /**
   * Stops what the run left on every remote host, removes its directories there, disconnects; a
   * guest of the run is powered off, one of the pool stays up for the next cell. Returns each
   * guest's console of this run and the kernel trouble seen there (which fails the run).
   */
  async close(): Promise<{ artifacts: HostRunArtifact[]; problems: string[] }> {
    await this.stopSampling();
    await this.dropForwards().catch(() => undefined);
    await Promise.all([...this.cpuReaders.values()].map((r) => r.close()));
    const artifacts: HostRunArtifact[] = [];
    const problems: string[] = [];
    for (const g of this.guests()) {
      const run = this.guestRuns.get(g.name) ?? { mark: 0, pooled: false };
      // Everything the kernel printed up to now has reached the console (a live guest only).
      if (!g.dead) await g.checkConsole(run.mark).catch(() => undefined);
      artifacts.push({ kind: 'guest-console', name: `guest-console.${g.name}.log`, content: Buffer.from(`${g.consoleSince(run.mark).join('\n')}\n`) });
      // A pooled guest with trouble is never handed out again: whatever is here, this run saw.
      const trouble = g.trouble;
      if (trouble.length > 0)
        problems.push(
          `${g.name}: guest kernel trouble (guest-console.${g.name}.log has every line): ${trouble
            .slice(0, 12)
            .map((l) => JSON.stringify(l))
            .join('; ')}`,
        );
      if (g.dead) problems.push(`${g.name}: the guest died during the run: ${g.dead}`);
    }
    await Promise.all(
      [...this.remote.values()].map((h) => {
        if (h instanceof GuestHost && this.guestRuns.get(h.name)?.pooled && !h.dead) return h.endRun().catch(() => undefined);
        return h.close().catch(() => undefined);
      }),
    );
    return { artifacts, problems };
  }
}
