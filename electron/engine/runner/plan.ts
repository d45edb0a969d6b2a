// What a run of one experiment cell does, in order: its points. Pure.
//
// Sweep order: repeats outermost, then the sweep axes (workers, connections, rate), backends
// innermost, so that every backend is measured next to the others at each configuration and slow
// drift of the machine hits all of them alike. A rate swept as fractions of capacity needs the
// capacity first: one closed-loop probe per backend and (workers, connections), before anything.
import { configKey, type Configuration, type RateSetting } from '../common/axes';
import type { PointKind } from '../model';
import type { ExperimentCell } from '../common/notebook/schema';
import { referenceOf, repeatPolicyOf } from '../common/notebook/cell-settings';

export { referenceOf, repeatPolicyOf };

export interface PlannedPoint {
  seq: number;
  kind: PointKind;
  backend: string;
  /** For a rate swept as fractions of capacity, `rate` is the fraction until the probes resolve it. */
  configuration: Configuration;
  repeat: number;
}

export const DEFAULT_PROBE_S = 2;

export function sweptRates(cell: ExperimentCell): (RateSetting | null)[] {
  const r = cell.sweep.rate;
  if (r === undefined) return [null];
  if (Array.isArray(r)) return r.map((per_s) => ({ per_s }));
  return r.of_capacity.map((of_capacity) => ({ of_capacity }));
}

export function needsCapacity(cell: ExperimentCell): boolean {
  const r = cell.sweep.rate;
  return r !== undefined && !Array.isArray(r);
}

/** Rounds planned before any result is known: `min` with a target (more follow while unclear), else the fixed count. */
export function repeatsOf(cell: ExperimentCell, quick: boolean): number {
  const p = repeatPolicyOf(cell, quick);
  return p.target_ci === null ? p.max : p.min;
}

/** One round (repeat) of every configuration, backends alternated innermost; seq numbers from firstSeq. */
export function planRound(cell: ExperimentCell, repeat: number, firstSeq: number): PlannedPoint[] {
  const workers = cell.sweep.workers ?? [cell.server.workers];
  const out: PlannedPoint[] = [];
  for (const w of workers) {
    for (const c of cell.sweep.connections) {
      for (const rate of sweptRates(cell)) {
        for (const b of cell.backends) out.push({ seq: firstSeq + out.length, kind: 'measure', backend: b, configuration: { workers: w, connections: c, rate }, repeat });
      }
    }
  }
  return out;
}

export function planPoints(cell: ExperimentCell, quick = false): PlannedPoint[] {
  const workers = cell.sweep.workers ?? [cell.server.workers];
  const out: PlannedPoint[] = [];
  const add = (kind: PointKind, backend: string, configuration: Configuration, repeat: number) => out.push({ seq: out.length + 1, kind, backend, configuration, repeat });
  if (needsCapacity(cell)) {
    for (const w of workers) for (const c of cell.sweep.connections) for (const b of cell.backends) add('probe', b, { workers: w, connections: c, rate: null }, 1);
  }
  for (let repeat = 1; repeat <= repeatsOf(cell, quick); repeat++) out.push(...planRound(cell, repeat, out.length + 1));
  return out;
}

export function phaseDurations(cell: ExperimentCell, quick: boolean): { duration_s: number; warmup_s: number } {
  if (!quick) return { duration_s: cell.duration_s, warmup_s: cell.warmup_s };
  const q = cell.quick;
  return q ? { duration_s: q.duration_s, warmup_s: q.warmup_s } : { duration_s: 1, warmup_s: Math.min(cell.warmup_s, 1) };
}

/** A capacity probe's phases: the cell's warm-up, then probe_s (a quick run: at most its quick duration). */
export function probeDurations(cell: ExperimentCell, quick: boolean): { duration_s: number; warmup_s: number } {
  const phases = phaseDurations(cell, quick);
  const r = cell.sweep.rate;
  const probe = r !== undefined && !Array.isArray(r) ? (r.probe_s ?? DEFAULT_PROBE_S) : DEFAULT_PROBE_S;
  return { warmup_s: phases.warmup_s, duration_s: quick ? Math.min(probe, phases.duration_s) : probe };
}

/** Which capacity a point's fraction refers to: that of its workers and connections (closed loop). */
export function capacityKey(c: Configuration): string {
  return configKey({ workers: c.workers, connections: c.connections, rate: null });
}

/**
 * The capacity of each (workers, connections): the highest rate any backend's probe achieved
 * (verified probes only), so every backend is offered the same absolute rates and the weaker one
 * shows where it saturates.
 */
export function capacities(probes: readonly { configuration: Configuration; requests_per_s: number | null; usable: boolean }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of probes) {
    if (!p.usable || p.requests_per_s === null || !(p.requests_per_s > 0)) continue;
    const key = capacityKey(p.configuration);
    out.set(key, Math.max(out.get(key) ?? 0, p.requests_per_s));
  }
  return out;
}

/** The absolute rate a fraction of capacity asks for: whole requests/s, at least 1. */
export function resolveRate(fraction: number, capacity: number): number {
  return Math.max(1, Math.round(fraction * capacity));
}

export function pointLabel(p: PlannedPoint): string {
  const c = p.configuration;
  const rate = c.rate === null ? '' : 'per_s' in c.rate ? ` R=${c.rate.per_s}/s` : ` R=${c.rate.of_capacity}×cap`;
  return p.kind === 'probe' ? `${p.backend} c=${c.connections} w=${c.workers} capacity probe` : `${p.backend} c=${c.connections} w=${c.workers}${rate} #${p.repeat}`;
}
