// `replay --gate`: which earlier run a run is judged against, and the series the gate compares.
// A run is comparable only with a finished (ok) run of the same cell, of the same kind (quick or
// full), on the same machine: same CPU model, kernel and core count (the fingerprint a bundle's
// environment carries). Numbers from another machine say nothing about a regression here.
import type { EnvironmentSnapshot, PointRecord, RunRecord } from '../model';
import { gate, type GateResult, type GateSeries } from '../common/stats/gate';
import type { CellGate } from '../common/results';

/** Metrics the gate judges (one testcase each per configuration). */
// p50 rather than p99: a tail percentile of a short run moves by more than any threshold on a
// shared machine, and a gate that cries wolf gets switched off (p99 stays in the comparisons).
export const GATE_METRICS = ['requests_per_s', 'requests_per_cpu_s', 'latency_p50_us'] as const;

export type MachineFingerprint = Pick<EnvironmentSnapshot, 'cpu_model' | 'kernel' | 'cpus'>;

export function fingerprintOf(env: MachineFingerprint): string {
  return `${env.cpu_model} | kernel ${env.kernel} | ${env.cpus} cores`;
}

export interface Candidate {
  run: RunRecord;
  environment: MachineFingerprint | null;
}

/**
 * The latest earlier run this one can be compared with, or why there is none (a sentence).
 * `earlier` may hold any runs of the notebook: only those of the same cell that started before count.
 */
export function comparableRun(earlier: readonly Candidate[], current: RunRecord, env: MachineFingerprint | null): { run: RunRecord } | { none: string } {
  const sameCell = earlier.filter((c) => c.run.cell_id === current.cell_id && c.run.started_at < current.started_at);
  if (sameCell.length === 0) return { none: `no earlier run of cell "${current.cell_id}"` };
  const finished = sameCell.filter((c) => c.run.status === 'ok' && c.run.quick === current.quick);
  if (finished.length === 0) return { none: `no earlier finished ${current.quick ? 'quick' : 'full'} run of cell "${current.cell_id}"` };
  if (env === null) return { none: 'this run recorded no machine fingerprint' };
  const mine = fingerprintOf(env);
  const same = finished.filter((c) => c.environment !== null && fingerprintOf(c.environment) === mine);
  if (same.length === 0) {
    const other = finished.at(-1)!.environment;
    return { none: `no earlier finished run of cell "${current.cell_id}" on this machine (${mine})${other ? `; the latest was on ${fingerprintOf(other)}` : ''}` };
  }
  return { run: same.reduce((a, b) => (b.run.started_at >= a.run.started_at ? b : a)).run };
}

/** The gate's series of a run: per backend and configuration (the gate's "config" is "backend config"), per metric, ok repeats only. */
export function gateSeries(points: readonly PointRecord[]): GateSeries[] {
  const out = new Map<string, GateSeries & { samples: number[] }>();
  for (const p of points) {
    if (p.kind !== 'measure') continue;
    for (const metric of GATE_METRICS) {
      const config = `${p.backend} ${p.config}`;
      const key = JSON.stringify([config, metric]);
      let s = out.get(key);
      if (!s) out.set(key, (s = { config, metric, samples: [] }));
      const v = p[metric];
      if (p.status === 'ok' && typeof v === 'number' && Number.isFinite(v)) s.samples.push(v);
    }
  }
  // A metric no repeat measured (CPU of an old run) is not a case.
  return [...out.values()].filter((s) => s.samples.length > 0);
}

/** Gate one cell's run against its comparable predecessor (or pass, saying why there is none). */
export function gateCell(
  current: { run: RunRecord; points: PointRecord[] },
  previous: { run: RunRecord; points: PointRecord[] } | { none: string },
  o: { threshold: number; alpha?: number },
): CellGate {
  if ('none' in previous) {
    return {
      cell_id: current.run.cell_id,
      run_id: current.run.id,
      previous_run: null,
      result: gate(null, gateSeries(current.points), { threshold: o.threshold, alpha: o.alpha, noPrevious: previous.none }),
    };
  }
  const label = `run ${previous.run.id.slice(0, 12)} of ${previous.run.started_at}`;
  // Prefix configurations with the cell, so the JUnit file names where a regression is.
  const prefixed = (s: GateSeries[]) => s.map((x) => ({ ...x, config: `${current.run.cell_id}: ${x.config}` }));
  const result = gate(prefixed(gateSeries(previous.points)), prefixed(gateSeries(current.points)), { threshold: o.threshold, alpha: o.alpha, previousLabel: label });
  return { cell_id: current.run.cell_id, run_id: current.run.id, previous_run: previous.run.id, result };
}

/** Several cells' gates as one result (for one JUnit file and one summary). */
export function combineGates(gates: readonly CellGate[], threshold: number, alpha = 0.01): GateResult {
  if (gates.length === 0) return gate(null, [], { threshold, alpha, noPrevious: 'no experiment cell ran' });
  if (gates.length === 1) return gates[0]!.result;
  const cases = gates.flatMap((g) => g.result.cases);
  const failures = cases.filter((c) => c.status === 'fail').length;
  const comparable = gates.some((g) => g.result.comparable);
  const messages = gates.map((g) => `${g.cell_id}: ${g.result.message}`);
  const labels = gates.filter((g) => g.result.previous_label).map((g) => `${g.cell_id}: ${g.result.previous_label}`);
  return {
    comparable,
    passed: gates.every((g) => g.result.passed),
    alpha,
    threshold,
    previous_label: labels.length > 0 ? labels.join('; ') : null,
    cases,
    failures,
    message: `${failures > 0 ? 'gate failed' : 'gate passed'} — ${messages.join('; ')}`,
  };
}
