// A point's lifecycle within a run: a fresh server (through its backend) for every point, the
// load generator against it, the server stopped, the point recorded (record.ts) and said in the
// progress. Also what the run's points share: the dataset, the processes still alive, the placement
// sampler, each backend's run-wide preparation, and the capacity probes' results.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { configKey, type Configuration } from '../common/axes';
import { noMetrics } from '../common/metrics';
import type { ExperimentCell } from '../common/notebook/schema';
import { isFinalPhase } from '../common/runs';
import { backendModule } from '../backends/registry';
import type { BackendModule, BackendRun } from '../backends/types';
import type { Driver, Invocation } from '../drivers/types';
import type { LoadResult, PointRecord, ProgressEvent } from '../model';
import type { Dataset, ProtocolModule } from '../protocols/types';
import type { ServerModule } from '../servers/types';
import type { NewPoint, Store } from '../store/store';
import { CpuAccounting } from './cpu-accounting';
import { loadSummary, measurePoint, type CpuWindow, type MeasureContext } from './measure';
import { freePort } from './net';
import { capacities, capacityKey, phaseDurations, pointLabel, resolveRate, type PlannedPoint } from './plan';
import { RunningProcess, ToolMissingError, type OutputChunk } from './processes';
import { processesInGroup } from './procfs';
import { pointCpu, recordPoint, recordRunArtifact, type ArtifactFile } from './record';
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
}

export class Cancelled extends Error {}

const STOP_GRACE_MS = 5000;
const READY_TIMEOUT_MS = 10_000;

/** Everything one run needs while it walks its points. */
export class PointRunner implements MeasureContext, RoundsContext {
  private dataset: Dataset | null = null;
  private readonly pointTimes: number[] = [];
  private readonly live = new Set<RunningProcess>();
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
  ) {
    this.cell = o.cell;
    this.quick = o.quick;
    this.signal = o.signal;
    this.sampler = new PlacementSampler(startedAt);
    o.signal?.addEventListener('abort', () => {
      for (const p of this.live) p.signal('SIGKILL');
    });
  }

  /** What the server serves, the same for every point of the run (HTTP: a file of random bytes). */
  prepareDataset(): void {
    this.dataset = this.protocol.prepare(join(this.runDir, 'dataset'), this.o.cell.protocol);
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
    const cost = { interval_ms: this.sampler.intervalMs, rounds: this.sampler.roundCount, mean_round_us: this.sampler.meanCostUs() };
    recordRunArtifact(this.store, this.runId, 'sampler-stats', 'sampler.json', Buffer.from(`${JSON.stringify(cost)}\n`));
  }

  /** The backend's run-wide preparation (once per run, at its first point), or null if it has none. */
  private backendRun(backend: BackendModule, seq: number): Promise<BackendRun> | null {
    if (!backend.beginRun) return null;
    let run = this.backendRuns.get(backend.name);
    if (!run) {
      run = backend
        .beginRun({ runDir: this.runDir, cell: this.o.cell, signal: this.o.signal, progress: (label) => this.progress(seq, 'starting', label) })
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
    for (const p of this.live) p.signal('SIGKILL');
    rmSync(join(this.runDir, 'dataset'), { recursive: true, force: true });
  }

  progress(point: number, phase: ProgressEvent['phase'], label: string): void {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const { duration_s, warmup_s } = phaseDurations(this.o.cell, this.o.quick);
    const perPoint =
      this.pointTimes.length > 0 ? this.pointTimes.reduce((a, b) => a + b, 0) / this.pointTimes.length : duration_s + warmup_s + 0.5;
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

  private async start(role: 'server' | 'driver', argv: readonly string[], dir: string, name: string, extra: { env?: Record<string, string>; cpus?: readonly number[]; liveStdout?: boolean } = {}): Promise<RunningProcess> {
    const live = this.o.onOutput;
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

  /**
   * One driver invocation, sampled while it runs. With `cpu`, the CPU time of the server's
   * processes and the generator's is counted from `cpu.afterS` into the invocation (its own
   * warm-up, when the driver warms up in the same process) until the generator exits.
   */
  async load(inv: Invocation, dir: string, cpu?: CpuWindow): Promise<LoadResult> {
    const { argv, name } = inv;
    const proc = await this.start('driver', argv, dir, name, { cpus: this.o.cell.pinning.driver, liveStdout: inv.liveStdout });
    this.sampler.add({ role: 'driver', pgrp: proc.pid });
    let accounting: CpuAccounting | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    if (cpu) {
      const begin = () => {
        const targets = [
          ...processesInGroup(cpu.serverPgrp).map((pid) => ({ pid, role: 'server' as const })),
          ...processesInGroup(proc.pid).map((pid) => ({ pid, role: 'loadgen' as const })),
        ];
        try {
          accounting = CpuAccounting.start(targets);
        } catch (e) {
          cpu.problem = `CPU not measured: ${(e as Error).message}`;
        }
      };
      if (cpu.afterS > 0) timer = setTimeout(begin, cpu.afterS * 1000);
      else begin();
    }
    const exit = await proc.exited;
    if (timer) clearTimeout(timer);
    if (accounting) cpu!.usage = pointCpu((accounting as CpuAccounting).stop());
    else if (cpu && !cpu.problem) cpu.problem = 'CPU not measured: the load generator ended before its measured phase began';
    this.sampler.remove(proc.pid);
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
    const unavailable = backend.unavailable();
    if (unavailable) return end('skipped', unavailable);
    const prepared = await this.backendRun(backend, p.seq);
    if (this.o.signal?.aborted) throw new Cancelled();
    if (prepared?.unusable) return end(prepared.unusable.status, prepared.unusable.reason);
    if ('problem' in rate) return end('failed', rate.problem);

    const rateTag = base.rate_per_s === null ? '' : `-R${base.rate_per_s}`;
    const dir = join(this.runDir, `p${String(p.seq).padStart(3, '0')}-${p.backend}-c${c.connections}-w${c.workers}${rateTag}-${p.kind === 'probe' ? 'probe' : `r${p.repeat}`}`);
    mkdirSync(dir, { recursive: true });
    this.progress(p.seq, 'starting', label);

    let serverProc: RunningProcess | undefined;
    let launchLog: string | null = null;
    let stopSignal: NodeJS.Signals = 'SIGTERM';
    const files: ArtifactFile[] = [];
    let outcome: Partial<NewPoint>;
    let forcedStop = false;
    try {
      const port = await freePort();
      const dataset = this.dataset as Dataset;
      const launch = backend.wrap(
        this.server.launch({ runDir: dir, port, workers: c.workers, extraConfig: this.o.cell.server.extra_config, protocol: this.o.cell.protocol, dataset }),
        { pointDir: dir, cell: this.o.cell },
      );
      stopSignal = launch.stopSignal;
      launchLog = launch.logFile;
      for (const f of launch.files) {
        writeFileSync(f.path, f.content);
        files.push({ kind: 'server-config', name: f.path.slice(dir.length + 1), path: f.path });
      }
      // The command line is the configuration of a server without a config file (memcached).
      writeFileSync(join(dir, 'server.argv'), `${JSON.stringify(launch.argv)}\n`);
      files.push({ kind: 'server-config', name: 'server.argv', path: join(dir, 'server.argv') });
      files.push({ kind: 'server-stdout', name: 'server.stdout', path: join(dir, 'server.stdout') });
      files.push({ kind: 'server-stderr', name: 'server.stderr', path: join(dir, 'server.stderr') });
      if (launch.logFile) files.push({ kind: 'server-log', name: basename(launch.logFile), path: launch.logFile });
      serverProc = await this.start('server', launch.argv, dir, 'server', { env: launch.env, cpus: this.o.cell.pinning.server });
      const proc = serverProc;
      const endpoint = this.protocol.endpoint(port, dataset);
      await this.protocol.waitReady(endpoint, dataset, READY_TIMEOUT_MS, () => proc.running);
      this.sampler.add({ role: 'server', pgrp: proc.pid });
      this.sampler.start();
      outcome = await measurePoint(this, p, base, endpoint, dataset, dir, files, proc.pid);
    } catch (e) {
      if (e instanceof Cancelled || this.o.signal?.aborted) throw new Cancelled();
      if (e instanceof ToolMissingError) throw e;
      outcome = { status: 'failed', reason: (e as Error).message };
      if (serverProc && !serverProc.running) {
        // The server died: its own words say why (a bad directive, a port in use, …).
        await serverProc.exited;
        const said = lastLines(`${readText(join(dir, 'server.stderr'))}\n${readText(join(dir, 'server.stdout'))}\n${launchLog ? readText(launchLog) : ''}`, 3);
        if (said) outcome.reason = `${outcome.reason}; it said: ${said}`;
      }
    } finally {
      this.sampler.stop();
      if (serverProc) {
        this.sampler.remove(serverProc.pid);
        const stop = await serverProc.stop(stopSignal, STOP_GRACE_MS);
        if (stop.forced) forcedStop = true;
      }
    }
    if (this.o.signal?.aborted) throw new Cancelled();
    if (forcedStop) outcome.reason = appendReason(outcome.reason, `the server did not stop within ${STOP_GRACE_MS} ms and was killed`);
    const point: NewPoint = { ...base, ...outcome, ended_at: new Date().toISOString() };
    recordPoint(this.store, this.runId, point, files.concat(backend.artifacts({ pointDir: dir, cell: this.o.cell })), this.sampler.drain());
    if (p.kind === 'probe') {
      this.probes.push({ configuration: c, requests_per_s: point.requests_per_s, usable: point.status === 'ok' && point.verified, reason: point.reason });
    }
    this.pointTimes.push((Date.now() - t0) / 1000);
    this.progress(p.seq, point.status === 'failed' ? 'failed' : 'done', point.status === 'failed' ? `${label}: ${point.reason ?? ''}` : label);
  }
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
