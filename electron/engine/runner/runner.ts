// Runs one experiment cell: the plan (plan.ts), every sweep point and repeat through its lifecycle
// (point.ts: a fresh server per point, measured and verified by measure.ts, recorded by record.ts
// the moment it ends, so a killed lab loses at most the point in flight), more rounds while the
// repeat policy wants them (rounds.ts), and the run's own record: its environment and how it ended.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { driverModule } from '../drivers/registry';
import type { PointRecord, RunRecord } from '../model';
import { protocolModule } from '../protocols/registry';
import { serverModule } from '../servers/registry';
import type { Store } from '../store/store';
import { CellHosts, usesOtherHosts } from './cell-hosts';
import { captureEnvironment, toolVersion } from './environment';
import { planPoints } from './plan';
import { Cancelled, PointRunner, type RunCellOptions } from './point';
import { pinningProblem } from './cpus';
import { ToolMissingError } from './processes';
import { startTicks } from './procfs';
import { recordRunArtifact, runOutcome } from './record';
import { repeatUntilClear } from './rounds';

export { phaseDurations, planPoints, type PlannedPoint } from './plan';
export { loadSummary } from './measure';
export { TCG_WARNING } from './point';
export type { RunCellOptions };

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
      storeRunArtifacts(store, runId, (await hosts.close()).artifacts);
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
  store.putEnvironment(runId, await captureEnvironment({ server: server.kind, serverVersion, driver: driver.kind, driverVersion }));

  const ctx = new PointRunner(store, o, runId, runDir, server, driver, protocol, startedAt, plan.length, hosts);
  let stopped: { status: 'failed' | 'cancelled'; reason: string } | null = null;
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
    await repeatUntilClear(ctx, plan.length);
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
    const hostProblems = closed.problems.filter((p) => !backendProblems.some((b) => b.includes(p)) && !(stopped?.reason.includes(p) ?? false));
    backendProblems.push(...hostProblems);
  }
  if (stopped) return finish(stopped.status, [stopped.reason, ...backendProblems].join('; '));
  ctx.recordSamplerCost();
  const outcome = runOutcome(store.listPoints(runId), plan.length, backendProblems);
  return finish(outcome.status, outcome.reason);
}

/** Run-level files the hosts leave (a guest's console) stored with the run. */
function storeRunArtifacts(store: Store, runId: string, artifacts: readonly { kind: string; name: string; content: Buffer }[]): void {
  for (const a of artifacts) recordRunArtifact(store, runId, a.kind, a.name, a.content);
}

export type { PointRecord };
