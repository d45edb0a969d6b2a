// Runs one experiment cell: every sweep point and repeat, each on a fresh server, and records
// everything as it goes (a point is committed the moment it ends, so a killed lab loses at most
// the point in flight).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backendModule } from '../backends/registry';
import type { BackendModule, BackendRun } from '../backends/types';
import { driverModule } from '../drivers/registry';
import type { Driver, LoadSpec } from '../drivers/types';
import type { LoadResult, PointRecord, ProgressEvent, RunRecord, VerificationRecord } from '../model';
import type { ExperimentCell } from '../notebook/schema';
import { serverModule } from '../servers/registry';
import type { ServerModule } from '../servers/types';
import { sha256, type NewPoint, type Store } from '../store/store';
import { captureEnvironment, toolVersion } from './environment';
import { fetchSha256, freePort, waitUntilServing } from './net';
import { RunningProcess, ToolMissingError, type OutputChunk } from './processes';
import { pinningProblem } from './cpus';
import { startTicks } from './procfs';
import { PlacementSampler } from './sampler';

export interface PlannedPoint {
  seq: number;
  backend: string;
  connections: number;
  workers: number;
  repeat: number;
}

/**
 * Sweep order: repeats outermost, backends innermost, so that every backend is measured next to
 * the others at each setting and slow drift of the machine hits all of them alike.
 */
export function planPoints(cell: ExperimentCell): PlannedPoint[] {
  const workers = cell.sweep.workers ?? [cell.server.workers];
  const out: PlannedPoint[] = [];
  for (let repeat = 1; repeat <= cell.repeats; repeat++) {
    for (const w of workers) {
      for (const c of cell.sweep.connections) {
        for (const backend of cell.backends) out.push({ seq: out.length + 1, backend, connections: c, workers: w, repeat });
      }
    }
  }
  return out;
}

export function phaseDurations(cell: ExperimentCell, quick: boolean): { duration_s: number; warmup_s: number } {
  if (!quick) return { duration_s: cell.duration_s, warmup_s: cell.warmup_s };
  return cell.quick ?? { duration_s: 1, warmup_s: Math.min(cell.warmup_s, 1) };
}

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

class Cancelled extends Error {}

const STOP_GRACE_MS = 5000;
const READY_TIMEOUT_MS = 10_000;

export async function runCell(store: Store, o: RunCellOptions): Promise<RunRecord> {
  const server = serverModule(o.cell.server.kind);
  const driver = driverModule(o.cell.driver.kind);
  const plan = planPoints(o.cell);
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

  const pinning = pinningProblem(o.cell);
  if (pinning) return finish('failed', pinning);

  let serverVersion: string;
  let driverVersion: string;
  try {
    serverVersion = await toolVersion(server.versionArgv, server.parseVersion);
    driverVersion = await toolVersion(driver.versionArgv, driver.parseVersion);
  } catch (e) {
    return finish('failed', `${(e as Error).message}: install it (Debian/Ubuntu: apt-get install ${server.kind} ${driver.kind}) and run again`);
  }
  store.putEnvironment(
    runId,
    await captureEnvironment({ server: server.kind, serverVersion, driver: driver.kind, driverVersion }),
  );

  const ctx = new PointContext(store, o, runId, runDir, server, driver, startedAt, plan.length);
  let stopped: { status: 'failed' | 'cancelled'; reason: string } | null = null;
  try {
    await ctx.prepareDocRoot();
    for (const p of plan) {
      if (o.signal?.aborted) throw new Cancelled();
      await ctx.runPoint(p);
    }
  } catch (e) {
    if (e instanceof Cancelled || o.signal?.aborted) stopped = { status: 'cancelled', reason: 'cancelled by the user; the points recorded so far are kept' };
    else if (e instanceof ToolMissingError) stopped = { status: 'failed', reason: `${e.message}: install it and run again` };
    else stopped = { status: 'failed', reason: `run aborted: ${(e as Error).message}` };
  } finally {
    ctx.cleanup();
  }
  // Whatever ended the run, backends undo their preparation (saio-kmod unloads its module) and
  // what they found wrong meanwhile (kernel trouble in the log) makes the run fail.
  const backendProblems = await ctx.endBackendRuns();
  if (stopped) return finish(stopped.status, [stopped.reason, ...backendProblems].join('; '));
  ctx.recordSamplerCost();
  const points = store.listPoints(runId);
  const failed = points.filter((p) => p.status === 'failed');
  const skipped = points.filter((p) => p.status === 'skipped');
  const notVerified = points.filter((p) => p.status === 'ok' && !p.verified);
  if (failed.length > 0) return finish('failed', [`${failed.length} of ${plan.length} points failed; first: ${failed[0]?.reason ?? ''}`, ...backendProblems].join('; '));
  const notes: string[] = [];
  if (skipped.length > 0) notes.push(`${skipped.length} of ${plan.length} points skipped: ${skipped[0]?.reason ?? ''}`);
  if (notVerified.length > 0) notes.push(`${notVerified.length} points returned wrong responses`);
  if (notVerified.length > 0 || backendProblems.length > 0) return finish('failed', [...backendProblems, ...notes].join('; '));
  return finish('ok', notes.length > 0 ? notes.join('; ') : null);
}

/** Everything one run needs while it walks its points. */
class PointContext {
  private readonly docRoot: string;
  private readonly fileName: string;
  private expectedSha = '';
  private readonly pointTimes: number[] = [];
  private readonly live = new Set<RunningProcess>();
  private readonly sampler: PlacementSampler;
  /** Run-wide preparation of each backend that has one, begun at its first point. */
  private readonly backendRuns = new Map<string, Promise<BackendRun>>();

  constructor(
    private readonly store: Store,
    private readonly o: RunCellOptions,
    private readonly runId: string,
    private readonly runDir: string,
    private readonly server: ServerModule,
    private readonly driver: Driver,
    private readonly startedAt: number,
    private readonly total: number,
  ) {
    this.docRoot = join(runDir, 'docroot');
    this.fileName = `file-${o.cell.server.file_size}.bin`;
    this.sampler = new PlacementSampler(startedAt);
    o.signal?.addEventListener('abort', () => {
      for (const p of this.live) p.signal('SIGKILL');
    });
  }

  /** The served file: random bytes, so that a misplaced or duplicated chunk cannot look right. */
  async prepareDocRoot(): Promise<void> {
    mkdirSync(this.docRoot, { recursive: true });
    const body = randomBytes(this.o.cell.server.file_size);
    writeFileSync(join(this.docRoot, this.fileName), body);
    this.expectedSha = sha256(body);
  }

  /** What watching cost: kept with the run so a reader can judge that it did not matter. */
  recordSamplerCost(): void {
    const cost = { interval_ms: this.sampler.intervalMs, rounds: this.sampler.roundCount, mean_round_us: this.sampler.meanCostUs() };
    this.store.insertArtifact({ run_id: this.runId, point_id: null, kind: 'sampler-stats', name: 'sampler.json' }, Buffer.from(`${JSON.stringify(cost)}\n`));
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
    for (const p of this.live) p.signal('SIGKILL');
    rmSync(this.docRoot, { recursive: true, force: true });
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

  private async start(role: 'server' | 'driver', argv: readonly string[], dir: string, name: string, extra: { env?: Record<string, string>; cpus?: readonly number[] } = {}): Promise<RunningProcess> {
    const p = await RunningProcess.start({
      role,
      argv,
      env: extra.env,
      cpus: extra.cpus,
      stdoutPath: join(dir, `${name}.stdout`),
      stderrPath: join(dir, `${name}.stderr`),
      onOutput: this.o.onOutput,
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

  /** One driver invocation, sampled while it runs. */
  private async load(spec: LoadSpec, dir: string, name: string): Promise<{ result: LoadResult; stdout: string }> {
    const proc = await this.start('driver', this.driver.argv(spec), dir, name, { cpus: this.o.cell.pinning.driver });
    this.sampler.add({ role: 'driver', pgrp: proc.pid });
    const exit = await proc.exited;
    this.sampler.remove(proc.pid);
    if (this.o.signal?.aborted) throw new Cancelled();
    if (exit.code !== 0) {
      const err = readText(join(dir, `${name}.stderr`));
      throw new Error(`${this.driver.kind} exited with ${exit.code ?? exit.signal}: ${err.trim().slice(-300)}`);
    }
    return { result: this.driver.parse(proc.stdout), stdout: proc.stdout };
  }

  async runPoint(p: PlannedPoint): Promise<void> {
    const t0 = Date.now();
    const label = `${p.backend} c=${p.connections} w=${p.workers} #${p.repeat}`;
    const base: NewPoint = {
      run_id: this.runId,
      seq: p.seq,
      backend: p.backend,
      server: this.server.kind,
      connections: p.connections,
      workers: p.workers,
      repeat: p.repeat,
      status: 'ok',
      reason: null,
      requests_per_s: null,
      latency_p50_us: null,
      latency_p90_us: null,
      latency_p99_us: null,
      latency_p999_us: null,
      latency_max_us: null,
      errors: null,
      verified: false,
      verification: null,
      load: null,
      started_at: new Date(t0).toISOString(),
      ended_at: null,
    };
    const backend = backendModule(p.backend);
    const unavailable = backend.unavailable();
    if (unavailable) {
      this.store.insertPoint({ ...base, status: 'skipped', reason: unavailable, ended_at: new Date().toISOString() });
      this.progress(p.seq, 'skipped', `${label}: skipped (${unavailable})`);
      return;
    }
    const prepared = await this.backendRun(backend, p.seq);
    if (this.o.signal?.aborted) throw new Cancelled();
    if (prepared?.unusable) {
      const { status, reason } = prepared.unusable;
      this.store.insertPoint({ ...base, status, reason, ended_at: new Date().toISOString() });
      this.progress(p.seq, status, `${label}: ${status} (${reason})`);
      return;
    }
    const dir = join(this.runDir, `p${String(p.seq).padStart(3, '0')}-${p.backend}-c${p.connections}-w${p.workers}-r${p.repeat}`);
    mkdirSync(dir, { recursive: true });
    this.progress(p.seq, 'starting', label);

    let serverProc: RunningProcess | undefined;
    let stopSignal: NodeJS.Signals = 'SIGTERM';
    const files: { kind: string; name: string; path: string }[] = [];
    let outcome: Partial<NewPoint> = {};
    let forcedStop = false;
    try {
      const port = await freePort();
      const launch = backend.wrap(
        this.server.launch({
          runDir: dir,
          docRoot: this.docRoot,
          fileName: this.fileName,
          port,
          workers: p.workers,
          keepAlive: this.o.cell.server.keep_alive,
          extraConfig: this.o.cell.server.extra_config,
        }),
        { pointDir: dir, cell: this.o.cell },
      );
      stopSignal = launch.stopSignal;
      for (const f of launch.files) {
        writeFileSync(f.path, f.content);
        files.push({ kind: 'server-config', name: f.path.slice(dir.length + 1), path: f.path });
      }
      files.push({ kind: 'server-stdout', name: 'server.stdout', path: join(dir, 'server.stdout') });
      files.push({ kind: 'server-stderr', name: 'server.stderr', path: join(dir, 'server.stderr') });
      files.push({ kind: 'server-log', name: 'error.log', path: join(dir, 'error.log') });
      serverProc = await this.start('server', launch.argv, dir, 'server', { env: launch.env, cpus: this.o.cell.pinning.server });
      const proc = serverProc;
      await waitUntilServing(launch.url, READY_TIMEOUT_MS, () => proc.running);
      this.sampler.add({ role: 'server', pgrp: proc.pid });
      this.sampler.start();
      outcome = await this.measure(p, launch.url, dir, files);
    } catch (e) {
      if (e instanceof Cancelled || this.o.signal?.aborted) throw new Cancelled();
      if (e instanceof ToolMissingError) throw e;
      outcome = { status: 'failed', reason: (e as Error).message };
      if (serverProc && !serverProc.running) {
        // The server died: its own words say why (a bad directive, a port in use, …).
        await serverProc.exited;
        const said = lastLines(`${readText(join(dir, 'server.stderr'))}\n${readText(join(dir, 'error.log'))}`, 3);
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
    this.record({ ...base, ...outcome, ended_at: new Date().toISOString() }, files.concat(backend.artifacts({ pointDir: dir, cell: this.o.cell })));
    this.pointTimes.push((Date.now() - t0) / 1000);
    this.progress(p.seq, outcome.status === 'failed' ? 'failed' : 'done', outcome.status === 'failed' ? `${label}: ${outcome.reason ?? ''}` : label);
  }

  private async measure(p: PlannedPoint, url: string, dir: string, files: { kind: string; name: string; path: string }[]): Promise<Partial<NewPoint>> {
    const { duration_s, warmup_s } = phaseDurations(this.o.cell, this.o.quick);
    const bodyFile = join(this.docRoot, this.fileName);
    const spec: LoadSpec = {
      url,
      connections: p.connections,
      threads: this.o.cell.driver.threads,
      duration_s,
      timeout_s: this.o.cell.driver.timeout_s,
      keep_alive: this.o.cell.server.keep_alive,
    };
    // Every body is compared with the file while under load: in the warm-up (same connections,
    // same load, leaving the measured phase untouched) or, with verify "all", in the measurement
    // too. With no warm-up the measured phase must carry the check.
    const verifyMeasured = this.o.cell.driver.verify === 'all' || warmup_s === 0;
    let warm: LoadResult | null = null;
    if (warmup_s > 0) {
      this.progress(p.seq, 'warmup', `${p.backend} c=${p.connections}: warm-up ${warmup_s}s`);
      warm = (await this.load({ ...spec, duration_s: warmup_s, verify_body_file: bodyFile }, dir, 'driver-warmup')).result;
      files.push({ kind: 'driver-stdout', name: 'driver-warmup.stdout', path: join(dir, 'driver-warmup.stdout') });
    }
    this.progress(p.seq, 'measure', `${p.backend} c=${p.connections} w=${p.workers} #${p.repeat}: ${duration_s}s`);
    const measured = (await this.load(verifyMeasured ? { ...spec, verify_body_file: bodyFile } : spec, dir, 'driver')).result;
    files.push({ kind: 'driver-stdout', name: 'driver.stdout', path: join(dir, 'driver.stdout') });
    files.push({ kind: 'driver-stderr', name: 'driver.stderr', path: join(dir, 'driver.stderr') });

    this.progress(p.seq, 'verify', `${p.backend} c=${p.connections}: checking the body's sha256`);
    let fetched: string | null = null;
    try {
      const f = await fetchSha256(url, 10_000);
      fetched = f.status === 200 ? f.sha256 : `HTTP ${f.status}`;
    } catch (e) {
      fetched = null;
      void e;
    }
    const checks = [warm, verifyMeasured ? measured : null].filter((r): r is LoadResult => r !== null);
    const checked = checks.reduce((n, r) => n + (r.verify?.checked ?? 0), 0);
    const mismatched = checks.reduce((n, r) => n + (r.verify?.mismatched ?? 0), 0);
    const non2xx = (warm?.errors.status ?? 0) + measured.errors.status;
    const socketErrors = measured.errors.connect + measured.errors.read + measured.errors.write + measured.errors.timeout;
    const verification: VerificationRecord = {
      sha256_expected: this.expectedSha,
      sha256_fetched: fetched,
      bodies_checked: checked,
      bodies_mismatched: mismatched,
      non_2xx: non2xx,
      socket_errors: socketErrors,
    };
    const verified = fetched === this.expectedSha && checked > 0 && mismatched === 0 && non2xx === 0;
    const why: string[] = [];
    if (fetched !== this.expectedSha) why.push(`the body fetched after the load had sha256 ${fetched ?? '(no answer)'}, expected ${this.expectedSha}`);
    if (checked === 0) why.push('no response body was checked under load');
    if (mismatched > 0) why.push(`${mismatched} of ${checked} bodies differed from the served file`);
    if (non2xx > 0) why.push(`${non2xx} responses were not 2xx`);
    return {
      status: 'ok',
      reason: why.length > 0 ? why.join('; ') : null,
      requests_per_s: measured.requests_per_s,
      latency_p50_us: measured.latency_us.p50,
      latency_p90_us: measured.latency_us.p90,
      latency_p99_us: measured.latency_us.p99,
      latency_p999_us: measured.latency_us.p999,
      latency_max_us: measured.latency_us.max,
      errors: socketErrors + non2xx + mismatched,
      verified,
      verification,
      load: measured,
    };
  }

  private record(point: NewPoint, files: { kind: string; name: string; path: string }[]): void {
    const samples = this.sampler.drain();
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
