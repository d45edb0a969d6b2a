// Runs one experiment cell: every sweep point and repeat, each on a fresh server, and records
// everything as it goes (a point is committed the moment it ends, so a killed lab loses at most
// the point in flight).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { configKey, type Configuration } from '../common/axes';
import { backendModule } from '../backends/registry';
import type { BackendModule, BackendRun } from '../backends/types';
import { driverModule } from '../drivers/registry';
import type { Driver, Invocation, LoadSpec } from '../drivers/types';
import type { LoadResult, PointRecord, ProgressEvent, RunRecord } from '../model';
import { GuestKernelTrouble } from '../hosts/qemu/guest';
import type { GuestPool } from '../hosts/qemu/pool';
import type { HostProcess } from '../hosts/types';
import type { NotebookHosts } from '../notebook/hosts';
import type { ExperimentCell } from '../notebook/schema';
import { timeTlsHandshake } from '../protocols/http';
import { protocolModule } from '../protocols/registry';
import type { Dataset, Endpoint, ProtocolModule } from '../protocols/types';
import { serverModule } from '../servers/registry';
import type { ServerModule } from '../servers/types';
import type { NewPoint, Store } from '../store/store';
import { CellHosts, usesOtherHosts, type RemoteHost, type Role } from './cell-hosts';
import { captureEnvironment, toolVersion } from './environment';
import { freePort } from './net';
import { capacities, capacityKey, phaseDurations, planPoints, planRound, pointLabel, probeDurations, repeatPolicyOf, repeatsOf, resolveRate, type PlannedPoint } from './plan';
import { roundDecision } from '../stats/repeats';
import { RunningProcess, ToolMissingError, type OutputChunk } from './processes';
import { pinningProblem } from './cpus';
import { startTicks } from './procfs';
import { PointCpuWindow, type CpuGroup } from './point-cpu';
import { PlacementSampler } from './sampler';
import { mergeLoadResults, shareSpec, splitLoad, t0UnixMs } from './split-load';
import { setupWarning, verdict, type ConnectionSetup } from './verification';
import { ktlsVerdict, loadTlsModule, readTlsStat } from './ktls';

export { phaseDurations, planPoints, type PlannedPoint } from './plan';

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
  /** The notebook run's QEMU guests, kept up across its cells; absent: a guest is booted for this run and powered off after it. */
  guests?: GuestPool;
}

class Cancelled extends Error {}

const STOP_GRACE_MS = 5000;
/** Carried by every point measured in a guest under TCG (its numbers are an emulated CPU's). */
export const TCG_WARNING = 'accel tcg: measured in a QEMU guest on an emulated CPU (TCG); not comparable with numbers measured on a host or under KVM';
const READY_TIMEOUT_MS = 10_000;

export async function runCell(store: Store, o: RunCellOptions): Promise<RunRecord> {
  const server = serverModule(o.cell.server.kind);
  const driver = driverModule(o.cell.driver.kind);
  const protocol = protocolModule(o.cell.protocol.kind);
  const plan = planPoints(o.cell, o.quick);
  const runId = randomUUID();
  const runDir = join(o.runsDir, runId);
  mkdirSync(runDir, { recursive: true });
  const startedAt = Date.now();
  store.insertRun({
    id: runId,
    notebook_id: o.notebookId,
    revision_id: o.revisionId,
    cell_id: o.cell.id,
    quick: o.quick,
    started_at: new Date(startedAt).toISOString(),
    owner_pid: process.pid,
    owner_start: startTicks(process.pid),
    points_planned: plan.length,
    run_dir: runDir,
  });
  const finish = (status: 'ok' | 'failed' | 'cancelled', reason: string | null) => {
    store.finishRun(runId, status, reason, new Date().toISOString());
    return store.getRun(runId) as RunRecord;
  };

  // Across hosts, each role's pinning is checked against its own host (CellHosts.open).
  const pinning = usesOtherHosts(o.cell) ? pinningProblem({ ...o.cell, pinning: {} }) : pinningProblem(o.cell);
  if (pinning) return finish('failed', pinning);
  const driverMissing = driver.unavailable();
  if (driverMissing) return finish('failed', `the load driver ${driver.kind} cannot run: ${driverMissing}`);

  // Other hosts: connected and checked before anything else, every problem said at once.
  const hosts = usesOtherHosts(o.cell) ? new CellHosts(o.cell, o.hosts ?? {}, runId, startedAt) : null;
  if (hosts) {
    // A guest boots here (20-30 s under TCG): its progress is the run's first lines.
    const onProgress = (label: string) =>
      o.onProgress?.({ run_id: runId, cell_id: o.cell.id, point: 0, points: plan.length, phase: 'starting', label, elapsed_s: (Date.now() - startedAt) / 1000, eta_s: null });
    const problems = await hosts.open(server, driver, { pool: o.guests, onProgress });
    if (problems.length > 0) {
      const closed = await hosts.close();
      storeRunArtifacts(store, runId, closed.artifacts);
      return finish('failed', `the cell's hosts are not ready; no point was started:\n${problems.join('\n')}`);
    }
    // Their CPU readers start now, to be reading well before the first point's window.
    hosts.startCpuReaders(runDir);
  }

  let serverVersion: string;
  let driverVersion: string;
  try {
    serverVersion = hosts?.hostOf('server') ? await hosts.serverVersion(server) : await toolVersion(server.versionArgv, server.parseVersion);
    driverVersion = await toolVersion(driver.versionArgv(), driver.parseVersion);
  } catch (e) {
    if (hosts) storeRunArtifacts(store, runId, (await hosts.close()).artifacts);
    return finish('failed', `${(e as Error).message}: install it (Debian/Ubuntu: apt-get install ${server.apt}${driver.kind === 'wrk' ? ' wrk' : ''}) and run again`);
  }
  store.putEnvironment(
    runId,
    await captureEnvironment({ server: server.kind, serverVersion, driver: driver.kind, driverVersion }),
  );

  const ctx = new PointContext(store, o, runId, runDir, server, driver, protocol, startedAt, plan.length);
  ctx.hosts = hosts;
  let stopped: { status: 'failed' | 'cancelled'; reason: string } | null = null;
  let hostProblems: string[] = [];
  try {
    if (hosts) {
      const probe = (argv: readonly string[], parse: (s: string) => string) => ({ argv, parse });
      const described = await hosts.describe({
        server: { name: server.kind, ...probe(server.versionArgv, server.parseVersion) },
        driver: { name: driver.kind, ...probe(driver.versionArgv(), driver.parseVersion) },
      });
      for (const h of described) store.putRunHost(runId, h);
    }
    ctx.prepareDataset();
    await ctx.placeDataset();
    await ctx.prepareKtls();
    for (const p of plan) {
      if (o.signal?.aborted) throw new Cancelled();
      await ctx.runPoint(p);
    }
    await ctx.repeatUntilClear(plan.length);
  } catch (e) {
    if (e instanceof Cancelled || o.signal?.aborted) stopped = { status: 'cancelled', reason: 'cancelled by the user; the points recorded so far are kept' };
    else if (e instanceof ToolMissingError) stopped = { status: 'failed', reason: `${e.message}: install it and run again` };
    else stopped = { status: 'failed', reason: `run aborted: ${(e as Error).message}` };
  } finally {
    ctx.cleanup();
  }
  // Whatever ended the run, backends undo their preparation (saio-kmod unloads its module, in a
  // guest too, so before the guest goes) and what they found wrong meanwhile (kernel trouble in
  // the log) makes the run fail.
  const backendProblems = await ctx.endBackendRuns();
  if (hosts) {
    // Stops whatever the run left on other hosts and removes its directories there; a guest's
    // console of this run is kept, and kernel trouble on it or a guest that died fails the run.
    const closed = await hosts.close();
    storeRunArtifacts(store, runId, closed.artifacts);
    hostProblems = closed.problems.filter((p) => !backendProblems.some((b) => b.includes(p)) && !(stopped?.reason.includes(p) ?? false));
    backendProblems.push(...hostProblems);
  }
  if (stopped) return finish(stopped.status, [stopped.reason, ...backendProblems].join('; '));
  ctx.recordSamplerCost();
  const points = store.listPoints(runId);
  const failed = points.filter((p) => p.status === 'failed');
  const skipped = points.filter((p) => p.status === 'skipped');
  const notVerified = points.filter((p) => p.status === 'ok' && !p.verified);
  const warned = points.filter((p) => p.status === 'ok' && p.warnings.length > 0);
  if (failed.length > 0) return finish('failed', [`${failed.length} of ${plan.length} points failed; first: ${failed[0]?.reason ?? ''}`, ...backendProblems].join('; '));
  const notes: string[] = [];
  if (skipped.length > 0) notes.push(`${skipped.length} of ${plan.length} points skipped: ${skipped[0]?.reason ?? ''}`);
  if (notVerified.length > 0) notes.push(`${notVerified.length} points not verified; first: ${notVerified[0]?.reason ?? ''}`);
  // Not a failure: the numbers are real, but a reader must know which ones to doubt.
  if (warned.length > 0) notes.push(`${warned.length} points carry warnings; first: ${warned[0]?.warnings[0] ?? ''}`);
  if (notVerified.length > 0 || backendProblems.length > 0) return finish('failed', [...backendProblems, ...notes].join('; '));
  return finish('ok', notes.length > 0 ? notes.join('; ') : null);
}

interface ArtifactFile {
  kind: string;
  name: string;
  path: string;
}

/** Everything one run needs while it walks its points. */
class PointContext {
  private dataset: Dataset | null = null;
  /** The dataset as the server's and the load generator's hosts see it (copied there when remote). */
  private datasets: Record<Role, Dataset> | null = null;
  /** The cell's other hosts; null when everything runs on this machine. */
  hosts: CellHosts | null = null;
  private readonly pointTimes: number[] = [];
  /** How far ahead several load hosts are told to start their load together (loadSplit). */
  private splitLeadMs = 0;
  private readonly live = new Set<RunningProcess | HostProcess>();
  private readonly sampler: PlacementSampler;
  /** Run-wide preparation of each backend that has one, begun at its first point. */
  private readonly backendRuns = new Map<string, Promise<BackendRun>>();
  /** What each capacity probe found, to resolve rates given as fractions of capacity. */
  private readonly probes: { configuration: Configuration; requests_per_s: number | null; usable: boolean; reason: string | null }[] = [];

  constructor(
    private readonly store: Store,
    private readonly o: RunCellOptions,
    private readonly runId: string,
    private readonly runDir: string,
    private readonly server: ServerModule,
    private readonly driver: Driver,
    private readonly protocol: ProtocolModule,
    private readonly startedAt: number,
    private total: number,
  ) {
    this.sampler = new PlacementSampler(startedAt);
    o.signal?.addEventListener('abort', () => {
      for (const p of this.live) killNow(p);
    });
  }

  /** What the server serves, the same for every point of the run (HTTP: a file of random bytes). */
  prepareDataset(): void {
    this.dataset = this.protocol.prepare(join(this.runDir, 'dataset'), this.o.cell.protocol);
  }

  /** kTLS asked for: the server's kernel loads its tls module once per run (a guest's Debian kernel has it). */
  async prepareKtls(): Promise<void> {
    if (!this.wantsKtls()) return;
    const said = await loadTlsModule(this.hosts?.hostOf('server') ?? null);
    this.o.onProgress?.({ run_id: this.runId, cell_id: this.o.cell.id, point: 0, points: this.total, phase: 'starting', label: `kTLS: ${said}`, elapsed_s: (Date.now() - this.startedAt) / 1000, eta_s: null });
    this.store.insertArtifact({ run_id: this.runId, point_id: null, kind: 'ktls', name: 'ktls.txt' }, Buffer.from(`${said}\n`));
  }

  private wantsKtls(): boolean {
    return this.o.cell.protocol.kind === 'http' && this.o.cell.protocol.tls === 'ktls';
  }

  /** The dataset copied to the other hosts that need it. */
  async placeDataset(): Promise<void> {
    const local = this.dataset as Dataset;
    this.datasets = this.hosts ? await this.hosts.placeDataset(local) : { server: local, driver: local };
  }

  /** The other host a role's process runs on (`host`: a load host other than the role's first), or null for this machine. */
  private remoteOf(role: Role, host?: string): RemoteHost | null {
    return (host ? this.hosts?.named(host) : this.hosts?.hostOf(role)) ?? null;
  }

  /** A process group as its CPU is counted: on the host it runs on, with that host's clock offset. */
  private cpuGroup(role: Role, pgrp: number, host?: string): CpuGroup {
    const remote = this.remoteOf(role, host);
    const reader = remote ? this.hosts?.cpuReader(remote.name) ?? null : null;
    if (remote && !reader) throw new Error(`${remote.name}: no CPU reader was started there`);
    return { pgrp, role: role === 'server' ? 'server' : 'loadgen', reader, clockOffsetMs: remote ? this.hosts?.clockOffsetMs.get(remote.name) ?? 0 : 0 };
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

  /**
   * Repeats until the answer is clear: while the cell's policy has a target_ci and any
   * (backend, configuration) has a median interval of requests/s wider than it, run one more
   * round of every configuration (backends still alternated), up to policy.max. What was decided
   * for each series is kept with the run (repeats.json) and said in the progress.
   */
  async repeatUntilClear(planned: number): Promise<void> {
    const policy = repeatPolicyOf(this.o.cell, this.o.quick);
    if (policy.target_ci === null) return;
    let round = repeatsOf(this.o.cell, this.o.quick);
    let seq = planned;
    for (;;) {
      const decision = roundDecision(policy, this.series());
      const last = decision.action === 'stop' || round >= policy.max;
      if (last) {
        this.store.insertArtifact(
          { run_id: this.runId, point_id: null, kind: 'repeat-policy', name: 'repeats.json' },
          Buffer.from(`${JSON.stringify({ policy, rounds: round, decisions: decision.decisions }, null, 2)}\n`),
        );
        this.progress(seq, 'done', `repeats: ${decision.decisions.map((d) => `${d.label}: ${d.message}`).join('; ')}`);
        return;
      }
      if (this.o.signal?.aborted) throw new Cancelled();
      round++;
      const more = planRound(this.o.cell, round, seq + 1);
      this.total += more.length;
      this.progress(seq, 'starting', `round ${round} of at most ${policy.max}: ${decision.pending.length} series still above ±${(policy.target_ci * 100).toFixed(1)}% (first: ${decision.pending[0] ?? ''})`);
      for (const p of more) {
        if (this.o.signal?.aborted) throw new Cancelled();
        await this.runPoint(p);
      }
      seq += more.length;
    }
  }

  /** requests/s of the ok measured points so far, per backend and configuration. */
  private series(): { label: string; samples: number[] }[] {
    const out = new Map<string, number[]>();
    for (const p of this.store.listPoints(this.runId)) {
      if (p.kind !== 'measure') continue;
      const label = `${p.backend} ${p.config}`;
      const samples = out.get(label) ?? [];
      if (p.status === 'ok' && p.requests_per_s !== null) samples.push(p.requests_per_s);
      out.set(label, samples);
    }
    return [...out].map(([label, samples]) => ({ label, samples }));
  }

  /** What watching cost: kept with the run so a reader can judge that it did not matter. */
  recordSamplerCost(): void {
    const cost = { interval_ms: this.sampler.intervalMs, rounds: this.sampler.roundCount, mean_round_us: this.sampler.meanCostUs(), ...(this.hosts ? { hosts: this.hosts.samplerCost() } : {}) };
    this.store.insertArtifact({ run_id: this.runId, point_id: null, kind: 'sampler-stats', name: 'sampler.json' }, Buffer.from(`${JSON.stringify(cost)}\n`));
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
        for (const a of end.artifacts) this.store.insertArtifact({ run_id: this.runId, point_id: null, kind: a.kind, name: a.name }, a.content);
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

  private progress(point: number, phase: ProgressEvent['phase'], label: string): void {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const { duration_s, warmup_s } = phaseDurations(this.o.cell, this.o.quick);
    const perPoint =
      this.pointTimes.length > 0 ? this.pointTimes.reduce((a, b) => a + b, 0) / this.pointTimes.length : duration_s + warmup_s + 0.5;
    const remaining = this.total - point + (phase === 'done' || phase === 'skipped' || phase === 'failed' ? 0 : 1);
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

  private async start(role: 'server' | 'driver', argv: readonly string[], dir: string, name: string, extra: { env?: Record<string, string>; cpus?: readonly number[]; liveStdout?: boolean; host?: string } = {}): Promise<RunningProcess | HostProcess> {
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
  private async startOn(host: string, role: Role, argv: readonly string[], dir: string, name: string, extra: { env?: Record<string, string>; cpus?: readonly number[]; liveStdout?: boolean }): Promise<HostProcess> {
    const hosts = this.hosts as CellHosts;
    const live = this.o.onOutput;
    const p = await (hosts.named(host) as NonNullable<ReturnType<CellHosts['named']>>).spawn({
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
  private async load(inv: Invocation, dir: string, o: { host?: string; cpu?: { window: PointCpuWindow; with: CpuGroup[]; afterS?: number; atMs?: number } } = {}): Promise<LoadResult> {
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
      requests_per_s: null,
      offered_per_s: null,
      latency_p50_us: null,
      latency_p90_us: null,
      latency_p99_us: null,
      latency_p999_us: null,
      latency_max_us: null,
      errors: null,
      verified: false,
      verification: null,
      load: null,
      warnings: [],
      cpu: null,
      requests_per_cpu_s: null,
      started_at: new Date(t0).toISOString(),
      ended_at: null,
    };
    const end = (status: 'skipped' | 'failed', reason: string) => {
      this.insert({ ...base, status, reason, ended_at: new Date().toISOString() });
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
    let outcome: Partial<NewPoint> = {};
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
      const port = serverHost ? await serverHost.freePort(address) : await freePort();
      const dataset = this.dataset as Dataset;
      const datasets = this.datasets as Record<Role, Dataset>;
      const launch = backend.wrap(
        this.server.launch({ runDir: serverDir, address, port, workers: c.workers, extraConfig: this.o.cell.server.extra_config, protocol: this.o.cell.protocol, dataset: datasets.server }),
        { pointDir: serverDir, cell: this.o.cell },
      );
      stopSignal = launch.stopSignal;
      // Here, paths are as the server module made them; from another host, their local copies.
      const localPath = (path: string) => (serverDir === dir ? path : join(dir, path.slice(serverDir.length + 1)));
      launchLog = launch.logFile && localPath(launch.logFile);
      for (const f of launch.files) {
        const local = localPath(f.path);
        writeFileSync(local, f.content);
        if (serverHost) await serverHost.writeFile(f.path, f.content);
        files.push({ kind: 'server-config', name: f.path.slice(serverDir.length + 1), path: local });
      }
      // The command line is the configuration of a server without a config file (memcached).
      writeFileSync(join(dir, 'server.argv'), `${JSON.stringify(launch.argv)}\n`);
      files.push({ kind: 'server-config', name: 'server.argv', path: join(dir, 'server.argv') });
      files.push({ kind: 'server-stdout', name: 'server.stdout', path: join(dir, 'server.stdout') });
      files.push({ kind: 'server-stderr', name: 'server.stderr', path: join(dir, 'server.stderr') });
      if (launchLog) files.push({ kind: 'server-log', name: basename(launchLog), path: launchLog });
      if (this.wantsKtls()) tlsBefore = await readTlsStat(serverHost ?? null);
      serverProc = await this.start('server', launch.argv, dir, 'server', { env: launch.env, cpus: this.o.cell.pinning.server });
      const proc = serverProc;
      const endpoint = this.protocol.endpoint(port, dataset, address);
      // The lab checks readiness and the result from outside: a server in a guest through a forward.
      const lab = this.hosts ? await this.hosts.labPort(port) : { address, port };
      const labEndpoint = lab.port === port ? endpoint : this.protocol.endpoint(lab.port, dataset, lab.address);
      // An emulated CPU (TCG) starts a server and answers a TLS handshake many times slower.
      await this.protocol.waitReady(labEndpoint, dataset, guest?.accel.accel === 'tcg' ? 3 * READY_TIMEOUT_MS : READY_TIMEOUT_MS, () => proc.running);
      this.track('server', proc.pid);
      const handshakeMs = await this.timeHandshake(labEndpoint, dir, files, guest?.accel.accel === 'tcg');
      this.sampler.start();
      this.hosts?.startSampling();
      outcome = await this.measure(p, base, endpoint, datasets.driver, dir, files, proc.pid, labEndpoint, handshakeMs);
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
    this.record(point, files.concat(backend.artifacts({ pointDir: dir, cell: this.o.cell })));
    if (fatal) throw fatal;
    if (p.kind === 'probe') {
      this.probes.push({ configuration: c, requests_per_s: point.requests_per_s, usable: point.status === 'ok' && point.verified, reason: point.reason });
    }
    this.pointTimes.push((Date.now() - t0) / 1000);
    this.progress(p.seq, point.status === 'failed' ? 'failed' : 'done', point.status === 'failed' ? `${label}: ${point.reason ?? ''}` : label);
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

  private async measure(p: PlannedPoint, base: NewPoint, endpoint: Endpoint, dataset: Dataset, dir: string, files: ArtifactFile[], serverPgrp: number, labEndpoint: Endpoint = endpoint, handshakeMs: number | null = null): Promise<Partial<NewPoint>> {
    const phases = p.kind === 'probe' ? probeDurations(this.o.cell, this.o.quick) : phaseDurations(this.o.cell, this.o.quick);
    const spec: LoadSpec = {
      endpoint,
      protocol: this.o.cell.protocol,
      dataset,
      connections: base.connections,
      duration_s: phases.duration_s,
      warmup_s: phases.warmup_s,
      rate_per_s: base.rate_per_s,
      settings: p.kind === 'probe' && this.driver.probeSettings ? this.driver.probeSettings(this.o.cell.driver) : this.o.cell.driver,
    };
    const label = pointLabel(p);
    const results: LoadResult[] = [];
    let measured: LoadResult | null = null;
    // The server's processes, counted on the host they run on.
    const server = this.cpuGroup('server', serverPgrp);
    const window = new PointCpuWindow({ windowMs: phases.duration_s * 1000 });
    const generators = this.hosts && this.hosts.driverHosts.length > 1 ? this.hosts.driverHosts : null;
    if (generators) {
      this.progress(p.seq, 'measure', `${label}: ${phases.warmup_s > 0 ? `${phases.warmup_s}s warm-up, then ` : ''}${phases.duration_s}s on ${generators.join(', ')}`);
      measured = await this.loadSplit(spec, generators, dir, files, { window, server });
      results.push(measured);
    }
    const invocations = generators ? [] : this.driver.invocations(spec);
    // A driver that warms up in its measuring process (saio-load --warmup) gets its CPU counted
    // after the warm-up; one with a separate warm-up invocation (wrk) from the start.
    const cpu = { window, with: [server], afterS: invocations.some((i) => i.purpose === 'warmup') ? 0 : phases.warmup_s };
    for (const inv of invocations) {
      const what = inv.purpose === 'warmup' ? `warm-up ${phases.warmup_s}s` : `${phases.warmup_s > 0 && inv.purpose === 'measure' && results.length === 0 ? `${phases.warmup_s}s warm-up, then ` : ''}${phases.duration_s}s`;
      this.progress(p.seq, inv.purpose, `${label}: ${what}`);
      try {
        const r = await this.load(inv, dir, { cpu: inv.purpose === 'measure' ? cpu : undefined });
        results.push(r);
        if (inv.purpose === 'measure') measured = r;
      } finally {
        files.push({ kind: 'driver-stdout', name: `${inv.name}.stdout`, path: join(dir, `${inv.name}.stdout`) });
        files.push({ kind: 'driver-stderr', name: `${inv.name}.stderr`, path: join(dir, `${inv.name}.stderr`) });
      }
    }
    if (!measured) throw new Error(`${this.driver.kind} planned no measured phase`);

    this.progress(p.seq, 'verify', `${label}: ${this.protocol.kind} check through the server`);
    const after = await this.protocol.checkAfter(labEndpoint, dataset, 10_000);
    // wrk connects again in each invocation (and any generator without a warm-up connects in its
    // window): the measured window begins with every handshake.
    const setup: ConnectionSetup | undefined =
      handshakeMs !== null && !generators && (this.driver.kind === 'wrk' || phases.warmup_s === 0)
        ? { connections: base.connections, workers: base.workers, handshake_ms: handshakeMs, window_s: phases.duration_s }
        : undefined;
    const v = verdict(this.protocol.kind, results, measured, after, setup);
    const setupWarn = measured.requests > 0 ? setupWarning(setup) : null;
    const usage = window.result();
    return {
      // Nothing completed in the measured window (far beyond capacity): no numbers to record, a
      // failed measurement rather than a server that answered wrongly.
      status: measured.requests === 0 ? 'failed' : 'ok',
      reason: v.why.length > 0 ? v.why.join('; ') : null,
      requests_per_s: measured.requests_per_s,
      offered_per_s: measured.offered_per_s,
      latency_p50_us: measured.latency_us?.p50 ?? null,
      latency_p90_us: measured.latency_us?.p90 ?? null,
      latency_p99_us: measured.latency_us?.p99 ?? null,
      latency_p999_us: measured.latency_us?.p999 ?? null,
      latency_max_us: measured.latency_us?.max ?? null,
      errors: v.errors,
      verified: v.verified,
      verification: v.verification,
      load: measured,
      warnings: [...measured.warnings, ...(setupWarn ? [setupWarn] : []), ...(window.problem ? [window.problem] : []), ...window.warnings],
      cpu: usage,
      requests_per_cpu_s: usage && usage.server_s > 0 && measured.requests > 0 ? measured.requests / usage.server_s : null,
    };
  }

  /**
   * One point's load split over several load hosts (split-load.ts): each generator's share
   * started at once on its host, all told to begin their load at one wall-clock time (each host's
   * clock offset applied), each one's raw output kept under its host's name, the results merged.
   * CPU: the server's from the agreed start of the measured window until every generator has
   * ended, each generator's from then until it ends, each on its own host.
   */
  private async loadSplit(spec: LoadSpec, generators: readonly string[], dir: string, files: ArtifactFile[], cpu: { window: PointCpuWindow; server: CpuGroup }): Promise<LoadResult> {
    const hosts = this.hosts as CellHosts;
    const shares = splitLoad(spec, generators);
    // Enough for the slowest host to start its generator and connect (a login shell's rc files can take seconds).
    if (this.splitLeadMs === 0) {
      // Measured once per run: what starting a command costs on each load host, login shell included.
      const costs = await Promise.all(generators.map(async (g) => {
        const host = hosts.named(g);
        const t = Date.now();
        if (host) await host.exec(['true'], { timeoutMs: 30_000 });
        return Date.now() - t;
      }));
      this.splitLeadMs = Math.min(30_000, 1500 + 2 * Math.max(0, ...costs));
    }
    const startAt = Date.now() + this.splitLeadMs;
    const windowAt = startAt + spec.warmup_s * 1000;
    const serverCounted = cpu.window.count([cpu.server], windowAt);
    const settled = await Promise.allSettled(
      shares.map(async (share) => {
        const offset = hosts.clockOffsetMs.get(share.host) ?? 0;
        const mine = shareSpec({ ...spec, dataset: hosts.datasetOn(share.host, this.dataset as Dataset) }, share, startAt + offset);
        const invs = this.driver.invocations(mine);
        if (invs.length !== 1) throw new Error(`${this.driver.kind} needs ${invs.length} invocations per point; several load hosts need one`);
        const inv = { ...(invs[0] as Invocation), name: `${(invs[0] as Invocation).name}.${share.host}` };
        try {
          const result = await this.load(inv, dir, { host: share.host, cpu: { window: cpu.window, with: [], atMs: windowAt } });
          const began = t0UnixMs(readText(join(dir, `${inv.name}.stdout`)));
          return { share, result, window_start_ms: began === null ? null : began - offset + spec.warmup_s * 1000 };
        } finally {
          files.push({ kind: 'driver-stdout', name: `${inv.name}.stdout`, path: join(dir, `${inv.name}.stdout`) });
          files.push({ kind: 'driver-stderr', name: `${inv.name}.stderr`, path: join(dir, `${inv.name}.stderr`) });
        }
      }),
    );
    // Every generator has ended (none is left running into the next point); the first failure fails the point.
    await serverCounted();
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const parts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    // Late starts mean the lead was too short: give the next point more.
    const late = Math.max(0, ...parts.map((q) => (q.window_start_ms ?? 0) - spec.warmup_s * 1000 - startAt));
    if (late > 20) this.splitLeadMs = Math.min(30_000, this.splitLeadMs + late + 1000);
    const merged = mergeLoadResults(parts, Math.max(50, spec.duration_s * 1000 * 0.02));
    this.o.onOutput?.({ role: 'driver', stream: 'stdout', data: `${loadSummary(merged)} (${parts.length} generators)\n` });
    return merged;
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

  private insert(point: NewPoint): void {
    this.store.insertPoint(point);
  }

  private record(point: NewPoint, files: ArtifactFile[]): void {
    const samples = [...this.sampler.drain(), ...(this.hosts?.drain() ?? [])];
    this.store.transaction(() => {
      const id = this.store.insertPoint(point);
      for (const f of files) {
        if (!existsSync(f.path)) continue;
        this.store.insertArtifact({ run_id: this.runId, point_id: id, kind: f.kind, name: f.name }, readFileSync(f.path));
      }
      this.store.insertPlacement(this.runId, samples.map((s) => ({ ...s, point_id: id })));
    });
  }
}

/** Run-level files (a guest's console) stored with the run. */
function storeRunArtifacts(store: Store, runId: string, artifacts: readonly { kind: string; name: string; content: Buffer }[]): void {
  for (const a of artifacts) store.insertArtifact({ run_id: runId, point_id: null, kind: a.kind, name: a.name }, a.content);
}

/** One line about a load result, for a live terminal that was not shown the driver's document. */
export function loadSummary(r: LoadResult): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const ms = (v: number | undefined) => (v === undefined ? '—' : `${(v / 1000).toFixed(2)} ms`);
  const rate = r.offered_per_s === null ? `${n(r.requests_per_s)} requests/s (closed loop)` : `${n(r.requests_per_s)} of ${n(r.offered_per_s)} offered requests/s`;
  const checked = r.verified === null ? 'responses not checked' : `${n(r.verified)} responses right, ${n(r.mismatched)} wrong`;
  const warn = r.warnings.length > 0 ? `; WARNING: ${r.warnings.join('; WARNING: ')}` : '';
  return `${r.driver}: ${rate}, p50 ${ms(r.latency_us?.p50)}, p99 ${ms(r.latency_us?.p99)}, p99.9 ${ms(r.latency_us?.p999)}; ${checked}${warn}`;
}

/** SIGKILL to a process group here or on another host, now, without waiting (cancel, cleanup). */
function killNow(p: RunningProcess | HostProcess): void {
  void Promise.resolve()
    .then(() => p.signal('SIGKILL'))
    .catch(() => undefined);
}

function appendReason(reason: string | null | undefined, more: string): string {
  return reason ? `${reason}; ${more}` : more;
}

function lastLines(text: string, n: number): string {
  const lines = [...new Set(text.split('\n').map((l) => l.trim()).filter(Boolean))];
  return lines.slice(-n).join(' | ');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export type { PointRecord };
