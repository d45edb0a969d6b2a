// A point's lifecycle within a run: a fresh server (through its backend) for every point, the
// load generator against it, the server stopped, the point recorded (record.ts) and said in the
// progress. Also what the run's points share: the dataset, the processes still alive, the placement
// sampler, each backend's run-wide preparation, the capacity probes' results, and the cell's other
// hosts (cell-hosts.ts) where a role runs on one of them.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { configKey, type Configuration } from '../common/axes';
import { noMetrics } from '../common/metrics';
import type { ExperimentCell } from '../common/notebook/schema';
import { isFinalPhase } from '../common/runs';
import { backendModule } from '../backends/registry';
import type { BackendModule, BackendRun } from '../backends/types';
import type { Driver, Invocation } from '../drivers/types';
import { LocalHost } from '../hosts/local';
import { ownersText, portListeners } from '../hosts/port-owner';
import { GuestKernelTrouble } from '../hosts/qemu/guest';
import type { GuestPool } from '../hosts/qemu/pool';
import type { HostProcess } from '../hosts/types';
import type { LoadResult, PointRecord, ProgressEvent } from '../model';
import type { NotebookHosts } from '../common/notebook/hosts';
import { timeTlsHandshake } from '../protocols/http';
import type { Dataset, Endpoint, ProtocolModule } from '../protocols/types';
import type { ServerModule } from '../servers/types';
import type { NewPoint, Store } from '../store/store';
import type { CellHosts, RemoteHost, Role } from './cell-hosts';
import { ktlsVerdict, loadTlsModule, readTlsStat } from './ktls';
import { loadSummary, measurePoint, type LoadOptions, type MeasureContext } from './measure';
import { freePort } from './net';
import { capacities, capacityKey, phaseDurations, pointLabel, resolveRate, type PlannedPoint } from './plan';
import type { CpuGroup } from './point-cpu';
import { RunningProcess, ToolMissingError, type OutputChunk } from './processes';
import { readText, recordPoint, recordRunArtifact, type ArtifactFile } from './record';
import type { RoundsContext } from './rounds';
import { PlacementSampler } from './sampler';

/** What runCell (runner.ts) was asked; a point reads its cell, signal, hooks from it. */
export interface RunCellOptions {
  notebookId: string;
  revisionId: string;
  cell: ExperimentCell;
  quick: boolean;
  runsDir: string;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  onOutput?: (c: OutputChunk) => void;
  /**
   * Run the server under a pseudo-terminal (UI runs: its live output reads as in a shell); default
   * pipes. The load generator always uses pipes: its output is the measurement, and node-pty may
   * report a child's exit before the last bytes were read (seen as a truncated wrk report).
   */
  pty?: boolean;
  /** The notebook's hosts, for a cell that places its server or load generator on one of them. */
  hosts?: NotebookHosts;
  /**
   * Where a point's server port comes from; default: a port free on the server's host right now.
   * Tests give a port another listener holds, as a second lab might between lookup and bind.
   */
  freePort?: (address: string) => Promise<number>;
  /** The notebook run's QEMU guests, kept up across its cells; absent: a guest is booted for this run and powered off after it. */
  guests?: GuestPool;
}

export class Cancelled extends Error {}

const STOP_GRACE_MS = 5000;
/** Carried by every point measured in a guest under TCG (its numbers are an emulated CPU's). */
export const TCG_WARNING = 'accel tcg: measured in a QEMU guest on an emulated CPU (TCG); not comparable with numbers measured on a host or under KVM';
const READY_TIMEOUT_MS = 10_000;
/** Ports tried for one point before a port shared with a stranger fails it. */
const PORT_ATTEMPTS = 3;

/** Everything one run needs while it walks its points. */
export class PointRunner implements MeasureContext, RoundsContext {
  private dataset: Dataset | null = null;
  /** The dataset as the server's and the load generator's hosts see it (copied there when remote). */
  private datasets: Record<Role, Dataset> | null = null;
  private readonly pointTimes: number[] = [];
  /** How far ahead several load hosts are told to start their load together (measure.ts, loadSplit). */
  splitLeadMs = 0;
  private readonly live = new Set<RunningProcess | HostProcess>();
  private readonly sampler: PlacementSampler;
  /** Run-wide preparation of each backend that has one, begun at its first point. */
  private readonly backendRuns = new Map<string, Promise<BackendRun>>();
  /** What each capacity probe found, to resolve rates given as fractions of capacity. */
  private readonly probes: { configuration: Configuration; requests_per_s: number | null; usable: boolean; reason: string | null }[] = [];

  readonly cell: ExperimentCell;
  readonly quick: boolean;
  readonly signal: AbortSignal | undefined;

  constructor(
    private readonly store: Store,
    private readonly o: RunCellOptions,
    private readonly runId: string,
    private readonly runDir: string,
    private readonly server: ServerModule,
    readonly driver: Driver,
    readonly protocol: ProtocolModule,
    private readonly startedAt: number,
    private total: number,
    /** The cell's other hosts; null when everything runs on this machine. */
    readonly hosts: CellHosts | null,
  ) {
    this.cell = o.cell;
    this.quick = o.quick;
    this.signal = o.signal;
    this.onOutput = o.onOutput;
    this.sampler = new PlacementSampler(startedAt);
    o.signal?.addEventListener('abort', () => {
      for (const p of this.live) killNow(p);
    });
  }

  readonly onOutput: ((c: OutputChunk) => void) | undefined;

  /** What the server serves, the same for every point of the run (HTTP: a file of random bytes). */
  prepareDataset(): void {
    this.dataset = this.protocol.prepare(join(this.runDir, 'dataset'), this.o.cell.protocol);
  }

  /** kTLS asked for: the server's kernel loads its tls module once per run (a guest's Debian kernel has it). */
  async prepareKtls(): Promise<void> {
    if (!this.wantsKtls()) return;
    const said = await loadTlsModule(this.hosts?.hostOf('server') ?? null);
    this.o.onProgress?.({
      run_id: this.runId,
      cell_id: this.o.cell.id,
      point: 0,
      points: this.total,
      phase: 'starting',
      label: `kTLS: ${said}`,
      elapsed_s: (Date.now() - this.startedAt) / 1000,
      eta_s: null,
    });
    recordRunArtifact(this.store, this.runId, 'ktls', 'ktls.txt', Buffer.from(`${said}\n`));
  }

  /**
   * Over TLS: one full handshake with the ready server, timed (kept as tls-handshake.json). A
   * generator that connects anew in its measured phase (wrk) spends connections × this at the
   * start of the window; the verdict says so when that is what emptied or dominated it. null
   * without TLS, or when the handshake failed (the load's own checks then say what is wrong).
   */
  private async timeHandshake(labEndpoint: Endpoint, dir: string, files: ArtifactFile[], tcg: boolean): Promise<number | null> {
    if (!labEndpoint.url.startsWith('https:')) return null;
    let ms: number | null = null;
    let error: string | null = null;
    try {
      ms = await timeTlsHandshake(labEndpoint.url, tcg ? 30_000 : 10_000, labEndpoint.ca);
    } catch (e) {
      error = (e as Error).message;
    }
    writeFileSync(join(dir, 'tls-handshake.json'), `${JSON.stringify({ handshake_ms: ms === null ? null : Math.round(ms * 10) / 10, from: 'lab', error }, null, 2)}\n`);
    files.push({ kind: 'tls-handshake', name: 'tls-handshake.json', path: join(dir, 'tls-handshake.json') });
    return ms;
  }

  private wantsKtls(): boolean {
    return this.o.cell.protocol.kind === 'http' && this.o.cell.protocol.tls === 'ktls';
  }

  /** The dataset copied to the other hosts that need it. */
  async placeDataset(): Promise<void> {
    const local = this.localDataset();
    this.datasets = this.hosts ? await this.hosts.placeDataset(local) : { server: local, driver: local };
  }

  /** The dataset as prepared on this machine. */
  localDataset(): Dataset {
    return this.dataset as Dataset;
  }

  /** The other host a role's process runs on (`host`: a load host other than the role's first), or null for this machine. */
  private remoteOf(role: Role, host?: string): RemoteHost | null {
    return (host ? this.hosts?.named(host) : this.hosts?.hostOf(role)) ?? null;
  }

  /** A process group as its CPU is counted: on the host it runs on, with that host's clock offset. */
  cpuGroup(role: Role, pgrp: number, host?: string): CpuGroup {
    const remote = this.remoteOf(role, host);
    const reader = remote ? (this.hosts?.cpuReader(remote.name) ?? null) : null;
    if (remote && !reader) throw new Error(`${remote.name}: no CPU reader was started there`);
    return { pgrp, role: role === 'server' ? 'server' : 'loadgen', reader, clockOffsetMs: remote ? (this.hosts?.clockOffsetMs.get(remote.name) ?? 0) : 0 };
  }

  /** Sample a process group's threads where it runs. */
  private track(role: Role, pgrp: number, host?: string): void {
    if (this.remoteOf(role, host)) this.hosts?.track(role, pgrp, host);
    else this.sampler.add({ role, pgrp });
  }

  private untrack(role: Role, pgrp: number, host?: string): void {
    if (this.remoteOf(role, host)) this.hosts?.untrack(role, pgrp, host);
    else this.sampler.remove(pgrp);
  }

  points(): PointRecord[] {
    return this.store.listPoints(this.runId);
  }

  planMore(n: number): void {
    this.total += n;
  }

  keep(name: string, content: Buffer): void {
    recordRunArtifact(this.store, this.runId, 'repeat-policy', name, content);
  }

  cancelled(): Error {
    return new Cancelled();
  }

  /** What watching cost: kept with the run so a reader can judge that it did not matter. */
  recordSamplerCost(): void {
    const cost = { interval_ms: this.sampler.intervalMs, rounds: this.sampler.roundCount, mean_round_us: this.sampler.meanCostUs(), ...(this.hosts ? { hosts: this.hosts.samplerCost() } : {}) };
    recordRunArtifact(this.store, this.runId, 'sampler-stats', 'sampler.json', Buffer.from(`${JSON.stringify(cost)}\n`));
  }

  /** The backend's run-wide preparation (once per run, at its first point), or null if it has none. */
  private backendRun(backend: BackendModule, seq: number): Promise<BackendRun> | null {
    if (!backend.beginRun) return null;
    let run = this.backendRuns.get(backend.name);
    if (!run) {
      run = backend
        .beginRun({ runDir: this.runDir, cell: this.o.cell, signal: this.o.signal, progress: (label) => this.progress(seq, 'starting', label), guest: this.hosts?.serverGuest() ?? undefined })
        .catch((e: unknown) => ({
          unusable: { status: 'failed' as const, reason: `${backend.name} could not prepare the run: ${(e as Error).message}` },
          end: async () => ({ artifacts: [], problem: null }),
        }));
      this.backendRuns.set(backend.name, run);
    }
    return run;
  }

  /** End every backend preparation; store what they left with the run; return what they found wrong. */
  async endBackendRuns(): Promise<string[]> {
    const problems: string[] = [];
    for (const [name, begun] of this.backendRuns) {
      try {
        const end = await (await begun).end();
        for (const a of end.artifacts) recordRunArtifact(this.store, this.runId, a.kind, a.name, a.content);
        if (end.problem) problems.push(`${name}: ${end.problem}`);
      } catch (e) {
        problems.push(`${name}: could not end its preparation: ${(e as Error).message}`);
      }
    }
    this.backendRuns.clear();
    return problems;
  }

  cleanup(): void {
    this.sampler.stop();
    for (const p of this.live) killNow(p);
    rmSync(join(this.runDir, 'dataset'), { recursive: true, force: true });
  }

  progress(point: number, phase: ProgressEvent['phase'], label: string): void {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const { duration_s, warmup_s } = phaseDurations(this.o.cell, this.o.quick);
    const perPoint = this.pointTimes.length > 0 ? this.pointTimes.reduce((a, b) => a + b, 0) / this.pointTimes.length : duration_s + warmup_s + 0.5;
    const remaining = this.total - point + (isFinalPhase(phase) ? 0 : 1);
    this.o.onProgress?.({
      run_id: this.runId,
      cell_id: this.o.cell.id,
      point,
      points: this.total,
      phase,
      label,
      elapsed_s: elapsed,
      eta_s: Math.max(0, remaining * perPoint),
    });
  }

  private async start(
    role: Role,
    argv: readonly string[],
    dir: string,
    name: string,
    extra: { env?: Record<string, string>; cpus?: readonly number[]; liveStdout?: boolean; host?: string } = {},
  ): Promise<RunningProcess | HostProcess> {
    const live = this.o.onOutput;
    const remote = this.remoteOf(role, extra.host);
    if (remote) return this.startOn(remote.name, role, argv, dir, name, extra);
    const p = await RunningProcess.start({
      role,
      argv,
      env: extra.env,
      cpus: extra.cpus,
      stdoutPath: join(dir, `${name}.stdout`),
      stderrPath: join(dir, `${name}.stderr`),
      onOutput: live && (extra.liveStdout === false ? (c) => c.stream === 'stdout' || live(c) : live),
      pty: role === 'server' && this.o.pty === true,
    });
    this.live.add(p);
    this.store.recordProcess({ run_id: this.runId, point_id: null, role, pid: p.pid, start_ticks: p.startTicks, argv: p.argv });
    void p.exited.then(() => {
      this.live.delete(p);
      this.store.markProcessEnded(this.runId, p.pid);
    });
    return p;
  }

  /** start() on another host: the same files and records, the program and libsaio as found there. */
  private async startOn(
    host: string,
    role: Role,
    argv: readonly string[],
    dir: string,
    name: string,
    extra: { env?: Record<string, string>; cpus?: readonly number[]; liveStdout?: boolean },
  ): Promise<HostProcess> {
    const hosts = this.hosts as CellHosts;
    const live = this.o.onOutput;
    const p = await (hosts.named(host) as RemoteHost).spawn({
      role,
      argv: hosts.argvOn(role, argv, host),
      env: role === 'server' ? hosts.envOnServer(extra.env ?? {}) : extra.env,
      cpus: extra.cpus,
      stdoutPath: join(dir, `${name}.stdout`),
      stderrPath: join(dir, `${name}.stderr`),
      onOutput: live && (extra.liveStdout === false ? (c) => c.stream === 'stdout' || live(c) : live),
    });
    this.live.add(p);
    this.store.recordProcess({ run_id: this.runId, point_id: null, role, pid: p.pid, start_ticks: p.startTicks, argv: p.argv, host });
    void p.exited.then(() => {
      this.live.delete(p);
      this.store.markProcessEnded(this.runId, p.pid, host);
    });
    return p;
  }

  /**
   * One driver invocation, sampled while it runs (`o.host`: one of several load hosts). With
   * `o.cpu`, the CPU time of the generator's processes, and of `cpu.with` (the server's, unless
   * counted apart), is counted on each one's host from `cpu.afterS` into the invocation (its own
   * warm-up, when the driver warms up in the same process) or from `cpu.atMs`, until the
   * generator exits.
   */
  async load(inv: Invocation, dir: string, o: LoadOptions = {}): Promise<LoadResult> {
    const { argv, name } = inv;
    const proc = await this.start('driver', argv, dir, name, { cpus: this.o.cell.pinning.driver, liveStdout: inv.liveStdout, host: o.host });
    this.track('driver', proc.pid, o.host);
    const cpu = o.cpu;
    const counted = cpu && cpu.window.count([...cpu.with, this.cpuGroup('driver', proc.pid, o.host)], cpu.atMs ?? Date.now() + (cpu.afterS ?? 0) * 1000);
    const exit = await proc.exited;
    await counted?.();
    this.untrack('driver', proc.pid, o.host);
    if (this.o.signal?.aborted) throw new Cancelled();
    if (exit.code !== 0) {
      const err = readText(join(dir, `${name}.stderr`));
      throw new Error(`${this.driver.kind} exited with ${exit.code ?? exit.signal}: ${err.trim().slice(-300)}`);
    }
    const result = this.driver.parse(proc.stdout);
    if (inv.liveStdout === false) this.o.onOutput?.({ role: 'driver', stream: 'stdout', data: `${loadSummary(result)}\n` });
    return result;
  }

  /** The rate a point offers: as swept, or its fraction of the capacity the probes measured. */
  private resolveRate(c: Configuration): { rate_per_s: number | null; rate_of_capacity: number | null } | { problem: string } {
    if (c.rate === null) return { rate_per_s: null, rate_of_capacity: null };
    if ('per_s' in c.rate) return { rate_per_s: c.rate.per_s, rate_of_capacity: null };
    const capacity = capacities(this.probes).get(capacityKey(c));
    if (capacity === undefined) {
      const mine = this.probes.filter((p) => capacityKey(p.configuration) === capacityKey(c));
      const first = mine.find((p) => p.reason)?.reason;
      return { problem: `no capacity measured for w=${c.workers} c=${c.connections}: no capacity probe gave a verified rate${first ? ` (first: ${first})` : ''}` };
    }
    return { rate_per_s: resolveRate(c.rate.of_capacity, capacity), rate_of_capacity: c.rate.of_capacity };
  }

  async runPoint(p: PlannedPoint): Promise<void> {
    const t0 = Date.now();
    const label = pointLabel(p);
    const c = p.configuration;
    const rate = this.resolveRate(c);
    const base: NewPoint = {
      run_id: this.runId,
      seq: p.seq,
      kind: p.kind,
      backend: p.backend,
      server: this.server.kind,
      config: configKey(c),
      connections: c.connections,
      workers: c.workers,
      rate_per_s: 'problem' in rate ? null : rate.rate_per_s,
      rate_of_capacity: 'problem' in rate ? (c.rate && 'of_capacity' in c.rate ? c.rate.of_capacity : null) : rate.rate_of_capacity,
      repeat: p.repeat,
      status: 'ok',
      reason: null,
      ...noMetrics(),
      errors: null,
      verified: false,
      verification: null,
      load: null,
      warnings: [],
      cpu: null,
      started_at: new Date(t0).toISOString(),
      ended_at: null,
    };
    const end = (status: 'skipped' | 'failed', reason: string) => {
      this.store.insertPoint({ ...base, status, reason, ended_at: new Date().toISOString() });
      this.progress(p.seq, status, `${label}: ${status} (${reason})`);
    };
    const backend = backendModule(p.backend);
    const unavailable = backend.unavailable({ guest: (this.hosts?.serverGuest() ?? null) !== null });
    if (unavailable) return end('skipped', unavailable);
    const prepared = await this.backendRun(backend, p.seq);
    if (this.o.signal?.aborted) throw new Cancelled();
    if (prepared?.unusable) return end(prepared.unusable.status, prepared.unusable.reason);
    if ('problem' in rate) return end('failed', rate.problem);

    const rateTag = base.rate_per_s === null ? '' : `-R${base.rate_per_s}`;
    const dir = join(this.runDir, `p${String(p.seq).padStart(3, '0')}-${p.backend}-c${c.connections}-w${c.workers}${rateTag}-${p.kind === 'probe' ? 'probe' : `r${p.repeat}`}`);
    mkdirSync(dir, { recursive: true });
    this.progress(p.seq, 'starting', label);

    let serverProc: RunningProcess | HostProcess | undefined;
    let launchLog: string | null = null;
    let stopSignal: NodeJS.Signals = 'SIGTERM';
    const files: ArtifactFile[] = [];
    let outcome: Partial<NewPoint>;
    let forcedStop = false;
    let serverDir = dir;
    // A guest that dies or whose kernel shows trouble ends the run, not just this point.
    let fatal: Error | null = null;
    const guest = this.hosts?.serverGuest() ?? null;
    const consoleMark = guest?.consoleMark() ?? 0;
    let tlsBefore: Record<string, number> | null = null;
    try {
      const serverHost = this.hosts?.hostOf('server');
      const address = this.hosts?.bindAddress ?? '127.0.0.1';
      // On another host the server's files live in its point directory there; the local one keeps the artifacts.
      serverDir = serverHost ? await (this.hosts as CellHosts).pointDirOnServer(dir) : dir;
      const dataset = this.localDataset();
      const datasets = this.datasets as Record<Role, Dataset>;
      // Here, paths are as the server module made them; from another host, their local copies.
      const localPath = (path: string) => (serverDir === dir ? path : join(dir, path.slice(serverDir.length + 1)));
      const shared: string[] = [];
      const portHost = serverHost ?? new LocalHost(dir);
      let endpoint: Endpoint | undefined;
      // Where the lab itself reaches the server (readiness, the check after the load): a server in a guest through a forward.
      let labEndpoint: Endpoint | undefined;
      if (this.wantsKtls()) tlsBefore = await readTlsStat(serverHost ?? null);
      // A port found free can be bound by a stranger before the server binds it (with SO_REUSEPORT
      // both binds succeed): once it is ready, the server must be the port's only listener, else
      // it is stopped and started again on another port, a bounded number of times.
      for (let attempt = 1; endpoint === undefined; attempt++) {
        const port = this.o.freePort ? await this.o.freePort(address) : serverHost ? await serverHost.freePort(address) : await freePort();
        const launch = backend.wrap(
          this.server.launch({ runDir: serverDir, address, port, workers: c.workers, extraConfig: this.o.cell.server.extra_config, protocol: this.o.cell.protocol, dataset: datasets.server }),
          { pointDir: serverDir, cell: this.o.cell },
        );
        stopSignal = launch.stopSignal;
        launchLog = launch.logFile && localPath(launch.logFile);
        for (const f of launch.files) {
          const local = localPath(f.path);
          writeFileSync(local, f.content);
          if (serverHost) await serverHost.writeFile(f.path, f.content);
          if (attempt === 1) files.push({ kind: 'server-config', name: f.path.slice(serverDir.length + 1), path: local });
        }
        // The command line is the configuration of a server without a config file (memcached).
        writeFileSync(join(dir, 'server.argv'), `${JSON.stringify(launch.argv)}\n`);
        if (attempt === 1) {
          files.push({ kind: 'server-config', name: 'server.argv', path: join(dir, 'server.argv') });
          files.push({ kind: 'server-stdout', name: 'server.stdout', path: join(dir, 'server.stdout') });
          files.push({ kind: 'server-stderr', name: 'server.stderr', path: join(dir, 'server.stderr') });
          if (launchLog) files.push({ kind: 'server-log', name: basename(launchLog), path: launchLog });
        }
        serverProc = await this.start('server', launch.argv, dir, 'server', { env: launch.env, cpus: this.o.cell.pinning.server });
        const proc = serverProc;
        const candidate = this.protocol.endpoint(port, dataset, address);
        const lab = this.hosts ? await this.hosts.labPort(port) : { address, port };
        const labCandidate = lab.port === port ? candidate : this.protocol.endpoint(lab.port, dataset, lab.address);
        let notReady: unknown = null;
        // An emulated CPU (TCG) starts a server and answers a TLS handshake many times slower.
        const readyMs = guest?.accel.accel === 'tcg' ? 3 * READY_TIMEOUT_MS : READY_TIMEOUT_MS;
        await this.protocol.waitReady(labCandidate, dataset, readyMs, () => proc.running).catch((e: unknown) => (notReady = e));
        // Not ready (a server without SO_REUSEPORT exits on EADDRINUSE) or ready: a stranger on the port is the same story.
        const { foreign } = await portListeners(portHost, { pgid: proc.pid, address, port });
        if (foreign.length === 0) {
          if (notReady) throw notReady;
          endpoint = candidate;
          labEndpoint = labCandidate;
          break;
        }
        shared.push(`${hostPort(address, port)} was also listened on by ${foreign.map(ownersText).join('; ')}`);
        serverProc = undefined;
        await proc.stop(stopSignal, STOP_GRACE_MS);
        await this.hosts?.dropForwards();
        if (attempt === PORT_ATTEMPTS) {
          throw new Error(
            `${[...new Set(shared)].join('; ')}, which this run did not start (${PORT_ATTEMPTS} ports tried, each held): with SO_REUSEPORT the kernel would split the load between both listeners, so no load was sent; stop it (or wait for the other run to end) and run again`,
          );
        }
        this.o.onOutput?.({ role: 'server', stream: 'stderr', data: `saio-lab: ${shared[shared.length - 1]}; moving to another port\n` });
      }
      const proc = serverProc as RunningProcess | HostProcess;
      this.track('server', proc.pid);
      const handshakeMs = await this.timeHandshake(labEndpoint ?? endpoint, dir, files, guest?.accel.accel === 'tcg');
      this.sampler.start();
      this.hosts?.startSampling();
      outcome = await measurePoint(this, p, base, endpoint, datasets.driver, dir, files, proc.pid, labEndpoint, handshakeMs);
      // A stranger that bound the port after the check took part of the load: the numbers are not the server's.
      const late = (await portListeners(portHost, { pgid: proc.pid, address, port: endpoint.port })).foreign;
      if (late.length > 0) {
        outcome.status = 'failed';
        outcome.reason = appendReason(
          outcome.reason,
          `${hostPort(address, endpoint.port)} was also listened on by ${late.map(ownersText).join('; ')} by the end of the measurement, which this run did not start: with SO_REUSEPORT the kernel may have given it part of the load, so this point's numbers are not the server's; stop it (or wait for the other run to end) and run again`,
        );
      }
      // Said with the point: which ports it gave up and why.
      if (shared.length > 0) outcome.warnings = [...shared.map((w) => `${w}; the server moved to another port`), ...(outcome.warnings ?? [])];
      if (this.wantsKtls()) {
        // Did the kernel encrypt the records? The counters say; a point where it did not is marked.
        const tlsAfter = await readTlsStat(serverHost ?? null);
        const k = ktlsVerdict(tlsBefore, tlsAfter);
        writeFileSync(join(dir, 'tls_stat.json'), `${JSON.stringify({ before: tlsBefore, after: tlsAfter, delta: k.delta, ktls_used: k.warning === null }, null, 2)}\n`);
        files.push({ kind: 'tls-stat', name: 'tls_stat.json', path: join(dir, 'tls_stat.json') });
        if (k.warning) outcome.warnings = [...(outcome.warnings ?? []), k.warning];
      }
      if (guest) {
        // Kernel lines printed while the point ran have all reached the console; trouble among them fails the run.
        await guest.checkConsole(consoleMark, `point ${label}`);
        if (guest.accel.accel === 'tcg') outcome.warnings = [...(outcome.warnings ?? []), TCG_WARNING];
      }
    } catch (e) {
      if (e instanceof Cancelled || this.o.signal?.aborted) throw new Cancelled();
      if (e instanceof ToolMissingError) throw e;
      outcome = { status: 'failed', reason: (e as Error).message };
      if (guest) {
        const why = e instanceof GuestKernelTrouble ? e.message : await (this.hosts as CellHosts).guestFailure();
        if (why) {
          fatal = new Error(why);
          outcome.reason = why;
        }
      }
      if (serverProc && !serverProc.running && !fatal) {
        // The server died: its own words say why (a bad directive, a port in use, …).
        await serverProc.exited;
        await this.fetchServerFiles(serverDir, dir);
        const said = lastLines(`${readText(join(dir, 'server.stderr'))}\n${readText(join(dir, 'server.stdout'))}\n${launchLog ? readText(launchLog) : ''}`, 3);
        if (said) outcome.reason = `${outcome.reason}; it said: ${said}`;
      }
    } finally {
      this.sampler.stop();
      await this.hosts?.stopSampling();
      await this.hosts?.dropForwards();
      if (serverProc && !guest?.dead) {
        this.untrack('server', serverProc.pid);
        const stop = await serverProc.stop(stopSignal, STOP_GRACE_MS);
        if (stop.forced) forcedStop = true;
      }
      // What a server on another host wrote there (its log, libsaio's statistics) becomes the point's artifacts.
      if (!guest?.dead) await this.fetchServerFiles(serverDir, dir);
    }
    if (this.o.signal?.aborted) throw new Cancelled();
    if (forcedStop) outcome.reason = appendReason(outcome.reason, `the server did not stop within ${STOP_GRACE_MS} ms and was killed`);
    // The backend's own record of the point (saio-kmod: the module's state after it).
    if (prepared?.afterPoint && !fatal) {
      const rec = await prepared.afterPoint().catch((e: unknown) => ({ name: 'kmod-stats.json', content: Buffer.from(`${JSON.stringify({ error: (e as Error).message })}\n`) }));
      writeFileSync(join(dir, rec.name), rec.content);
      files.push({ kind: 'kmod-stats', name: rec.name, path: join(dir, rec.name) });
    }
    const point: NewPoint = { ...base, ...outcome, ended_at: new Date().toISOString() };
    recordPoint(this.store, this.runId, point, files.concat(backend.artifacts({ pointDir: dir, cell: this.o.cell })), [...this.sampler.drain(), ...(this.hosts?.drain() ?? [])]);
    if (fatal) throw fatal;
    if (p.kind === 'probe') {
      this.probes.push({ configuration: c, requests_per_s: point.requests_per_s, usable: point.status === 'ok' && point.verified, reason: point.reason });
    }
    this.pointTimes.push((Date.now() - t0) / 1000);
    this.progress(p.seq, point.status === 'failed' ? 'failed' : 'done', point.status === 'failed' ? `${label}: ${point.reason ?? ''}` : label);
  }

  /** Copies what a server on another host left in its point directory into the local one. */
  private async fetchServerFiles(serverDir: string, dir: string): Promise<void> {
    if (serverDir === dir || !this.hosts) return;
    try {
      await this.hosts.fetchServerFiles(serverDir, dir, (name) => !name.startsWith('tmp-') && !name.endsWith('.pid') && !existsSync(join(dir, name)));
    } catch {
      // The host went away: the point says so through its own failure; artifacts are what is left.
    }
  }
}

/** SIGKILL to a process group here or on another host, now, without waiting (cancel, cleanup). */
function killNow(p: RunningProcess | HostProcess): void {
  void Promise.resolve()
    .then(() => p.signal('SIGKILL'))
    .catch(() => undefined);
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function appendReason(reason: string | null | undefined, more: string): string {
  return reason ? `${reason}; ${more}` : more;
}

function lastLines(text: string, n: number): string {
  const lines = [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
  return lines.slice(-n).join(' | ');
}
