// Measuring a point and verifying it: the driver's invocations (warm-up, measured phase) with the
// CPU of the measured phase counted, then the protocol's check through the server, and from both
// the numbers a point records and whether they can be trusted (verification.ts's verdict).
import { join } from 'node:path';
import { percentileColumns } from '../common/metrics';
import type { ExperimentCell } from '../common/notebook/schema';
import type { Driver, Invocation, LoadSpec } from '../drivers/types';
import type { LoadResult, PointCpu, ProgressEvent } from '../model';
import type { Dataset, Endpoint, ProtocolModule } from '../protocols/types';
import type { NewPoint } from '../store/store';
import { phaseDurations, pointLabel, probeDurations, type PlannedPoint } from './plan';
import type { ArtifactFile } from './record';
import { verdict } from './verification';

/** The CPU account of a measured phase: filled in by the load it is handed to. */
export interface CpuWindow {
  serverPgrp: number;
  /** Seconds into the invocation when counting starts (after a warm-up in the same process). */
  afterS: number;
  usage: PointCpu | null;
  problem: string | null;
}

/** What measuring needs from the point's lifecycle (point.ts): its settings, progress, and a way to run the driver. */
export interface MeasureContext {
  cell: ExperimentCell;
  quick: boolean;
  driver: Driver;
  protocol: ProtocolModule;
  progress(point: number, phase: ProgressEvent['phase'], label: string): void;
  load(inv: Invocation, dir: string, cpu?: CpuWindow): Promise<LoadResult>;
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
  const invocations = driver.invocations(spec);
  // A driver that warms up in its measuring process (saio-load --warmup) gets its CPU counted
  // after the warm-up; one with a separate warm-up invocation (wrk) from the start.
  const cpu: CpuWindow = { serverPgrp, afterS: invocations.some((i) => i.purpose === 'warmup') ? 0 : phases.warmup_s, usage: null, problem: null };
  for (const inv of invocations) {
    const what = inv.purpose === 'warmup' ? `warm-up ${phases.warmup_s}s` : `${phases.warmup_s > 0 && inv.purpose === 'measure' && results.length === 0 ? `${phases.warmup_s}s warm-up, then ` : ''}${phases.duration_s}s`;
    ctx.progress(p.seq, inv.purpose, `${label}: ${what}`);
    try {
      const r = await ctx.load(inv, dir, inv.purpose === 'measure' ? cpu : undefined);
      results.push(r);
      if (inv.purpose === 'measure') measured = r;
    } finally {
      files.push({ kind: 'driver-stdout', name: `${inv.name}.stdout`, path: join(dir, `${inv.name}.stdout`) });
      files.push({ kind: 'driver-stderr', name: `${inv.name}.stderr`, path: join(dir, `${inv.name}.stderr`) });
    }
  }
  if (!measured) throw new Error(`${driver.kind} planned no measured phase`);

  ctx.progress(p.seq, 'verify', `${label}: ${protocol.kind} check through the server`);
  const after = await protocol.checkAfter(endpoint, dataset, 10_000);
  const v = verdict(protocol.kind, results, measured, after);
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
    warnings: [...measured.warnings, ...(cpu.problem ? [cpu.problem] : [])],
    cpu: cpu.usage,
    requests_per_cpu_s: cpu.usage && cpu.usage.server_s > 0 && measured.requests > 0 ? measured.requests / cpu.usage.server_s : null,
  };
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
