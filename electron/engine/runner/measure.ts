// Measuring a point and verifying it: the driver's invocations (warm-up, measured phase) with the
// CPU of the measured phase counted, then the protocol's check through the server, and from both
// the numbers a point records and whether they can be trusted (verification.ts's verdict). Across
// several load hosts, each generator measures its share of the point (split-load.ts) at one agreed
// time and the results are merged.
import { join } from 'node:path';
import { percentileColumns } from '../common/metrics';
import type { ExperimentCell } from '../common/notebook/schema';
import type { Driver, Invocation, LoadSpec } from '../drivers/types';
import type { LoadResult, ProgressEvent } from '../model';
import type { Dataset, Endpoint, ProtocolModule } from '../protocols/types';
import type { NewPoint } from '../store/store';
import type { CellHosts, Role } from './cell-hosts';
import { phaseDurations, pointLabel, probeDurations, type PlannedPoint } from './plan';
import { PointCpuWindow, type CpuGroup } from './point-cpu';
import type { OutputChunk } from './processes';
import { readText, type ArtifactFile } from './record';
import { mergeLoadResults, shareSpec, splitLoad, t0UnixMs } from './split-load';
import { setupWarning, verdict, type ConnectionSetup } from './verification';

/**
 * How one driver invocation runs: on which of several load hosts (`host`), and, with `cpu`,
 * whose CPU its measured phase counts into `cpu.window` — the generator's and `cpu.with`'s — from
 * `cpu.afterS` into the invocation or from `cpu.atMs` (this machine's clock) until it exits.
 */
export interface LoadOptions {
  host?: string;
  cpu?: { window: PointCpuWindow; with: CpuGroup[]; afterS?: number; atMs?: number };
}

/** What measuring needs from the point's lifecycle (point.ts): its settings, progress, hosts, and a way to run the driver. */
export interface MeasureContext {
  cell: ExperimentCell;
  quick: boolean;
  driver: Driver;
  protocol: ProtocolModule;
  hosts: CellHosts | null;
  /** How far ahead several load hosts are told to start together; grows when one started late. */
  splitLeadMs: number;
  onOutput: ((c: OutputChunk) => void) | undefined;
  progress(point: number, phase: ProgressEvent['phase'], label: string): void;
  load(inv: Invocation, dir: string, o?: LoadOptions): Promise<LoadResult>;
  /** A process group as its CPU is counted, on the host it runs on. */
  cpuGroup(role: Role, pgrp: number, host?: string): CpuGroup;
  /** The dataset as prepared on this machine. */
  localDataset(): Dataset;
}

export async function measurePoint(
  ctx: MeasureContext,
  p: PlannedPoint,
  base: NewPoint,
  endpoint: Endpoint,
  dataset: Dataset,
  dir: string,
  files: ArtifactFile[],
  serverPgrp: number,
  /** Where the lab itself reaches the server (its check after the load): a server in a guest through a forward. */
  labEndpoint: Endpoint = endpoint,
  /** Over TLS: one full handshake with the ready server, in ms (point.ts); null without TLS. */
  handshakeMs: number | null = null,
): Promise<Partial<NewPoint>> {
  const { cell, driver, protocol } = ctx;
  const phases = p.kind === 'probe' ? probeDurations(cell, ctx.quick) : phaseDurations(cell, ctx.quick);
  const spec: LoadSpec = {
    endpoint,
    protocol: cell.protocol,
    dataset,
    connections: base.connections,
    duration_s: phases.duration_s,
    warmup_s: phases.warmup_s,
    rate_per_s: base.rate_per_s,
    settings: p.kind === 'probe' && driver.probeSettings ? driver.probeSettings(cell.driver) : cell.driver,
  };
  const label = pointLabel(p);
  const results: LoadResult[] = [];
  let measured: LoadResult | null = null;
  // The server's processes, counted on the host they run on.
  const server = ctx.cpuGroup('server', serverPgrp);
  const window = new PointCpuWindow({ windowMs: phases.duration_s * 1000 });
  const generators = ctx.hosts && ctx.hosts.driverHosts.length > 1 ? ctx.hosts.driverHosts : null;
  if (generators) {
    ctx.progress(p.seq, 'measure', `${label}: ${phases.warmup_s > 0 ? `${phases.warmup_s}s warm-up, then ` : ''}${phases.duration_s}s on ${generators.join(', ')}`);
    measured = await loadSplit(ctx, spec, generators, dir, files, { window, server });
    results.push(measured);
  }
  const invocations = generators ? [] : driver.invocations(spec);
  // A driver that warms up in its measuring process (saio-load --warmup) gets its CPU counted
  // after the warm-up; one with a separate warm-up invocation (wrk) from the start.
  const cpu = { window, with: [server], afterS: invocations.some((i) => i.purpose === 'warmup') ? 0 : phases.warmup_s };
  for (const inv of invocations) {
    const what =
      inv.purpose === 'warmup'
        ? `warm-up ${phases.warmup_s}s`
        : `${phases.warmup_s > 0 && inv.purpose === 'measure' && results.length === 0 ? `${phases.warmup_s}s warm-up, then ` : ''}${phases.duration_s}s`;
    ctx.progress(p.seq, inv.purpose, `${label}: ${what}`);
    try {
      const r = await ctx.load(inv, dir, { cpu: inv.purpose === 'measure' ? cpu : undefined });
      results.push(r);
      if (inv.purpose === 'measure') measured = r;
    } finally {
      files.push({ kind: 'driver-stdout', name: `${inv.name}.stdout`, path: join(dir, `${inv.name}.stdout`) });
      files.push({ kind: 'driver-stderr', name: `${inv.name}.stderr`, path: join(dir, `${inv.name}.stderr`) });
    }
  }
  if (!measured) throw new Error(`${driver.kind} planned no measured phase`);

  ctx.progress(p.seq, 'verify', `${label}: ${protocol.kind} check through the server`);
  const after = await protocol.checkAfter(labEndpoint, dataset, 10_000);
  // wrk connects again in each invocation (and any generator without a warm-up connects in its
  // window): the measured window begins with every handshake.
  const setup: ConnectionSetup | undefined =
    handshakeMs !== null && !generators && (driver.kind === 'wrk' || phases.warmup_s === 0)
      ? { connections: base.connections, workers: base.workers, handshake_ms: handshakeMs, window_s: phases.duration_s }
      : undefined;
  const v = verdict(protocol.kind, results, measured, after, setup);
  const setupWarn = measured.requests > 0 ? setupWarning(setup) : null;
  const usage = window.result();
  return {
    // Nothing completed in the measured window (far beyond capacity): no numbers to record, a
    // failed measurement rather than a server that answered wrongly.
    status: measured.requests === 0 ? 'failed' : 'ok',
    reason: v.why.length > 0 ? v.why.join('; ') : null,
    requests_per_s: measured.requests_per_s,
    offered_per_s: measured.offered_per_s,
    ...percentileColumns(measured.latency_us),
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
async function loadSplit(
  ctx: MeasureContext,
  spec: LoadSpec,
  generators: readonly string[],
  dir: string,
  files: ArtifactFile[],
  cpu: { window: PointCpuWindow; server: CpuGroup },
): Promise<LoadResult> {
  const hosts = ctx.hosts as CellHosts;
  const shares = splitLoad(spec, generators);
  // Enough for the slowest host to start its generator and connect (a login shell's rc files can take seconds).
  if (ctx.splitLeadMs === 0) {
    // Measured once per run: what starting a command costs on each load host, login shell included.
    const costs = await Promise.all(
      generators.map(async (g) => {
        const host = hosts.named(g);
        const t = Date.now();
        if (host) await host.exec(['true'], { timeoutMs: 30_000 });
        return Date.now() - t;
      }),
    );
    ctx.splitLeadMs = Math.min(30_000, 1500 + 2 * Math.max(0, ...costs));
  }
  const startAt = Date.now() + ctx.splitLeadMs;
  const windowAt = startAt + spec.warmup_s * 1000;
  const serverCounted = cpu.window.count([cpu.server], windowAt);
  const settled = await Promise.allSettled(
    shares.map(async (share) => {
      const offset = hosts.clockOffsetMs.get(share.host) ?? 0;
      const mine = shareSpec({ ...spec, dataset: hosts.datasetOn(share.host, ctx.localDataset()) }, share, startAt + offset);
      const invs = ctx.driver.invocations(mine);
      if (invs.length !== 1) throw new Error(`${ctx.driver.kind} needs ${invs.length} invocations per point; several load hosts need one`);
      const inv = { ...(invs[0] as Invocation), name: `${(invs[0] as Invocation).name}.${share.host}` };
      try {
        const result = await ctx.load(inv, dir, { host: share.host, cpu: { window: cpu.window, with: [], atMs: windowAt } });
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
  if (late > 20) ctx.splitLeadMs = Math.min(30_000, ctx.splitLeadMs + late + 1000);
  const merged = mergeLoadResults(parts, Math.max(50, spec.duration_s * 1000 * 0.02));
  ctx.onOutput?.({ role: 'driver', stream: 'stdout', data: `${loadSummary(merged)} (${parts.length} generators)\n` });
  return merged;
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
