// results.json: the machine-readable record of a replay. Field names match the stored records
// (model.ts) so a reader can go from one to the other; placement time is in seconds.
import { POINT_COLUMNS } from '../common/metrics';
import type { PlacementSample, PointRecord } from '../model';
import { jsonText } from '../common/json-text';
import { accelNote, runAccel, type Accel } from '../common/accel';
import { summarizePoints } from '../common/summary';
import type { ReplayResults, RunResults } from '../common/results';

function placementJson(s: PlacementSample) {
  return {
    host: s.host ?? 'local',
    time: s.t_ms / 1000,
    point_id: s.point_id,
    role: s.role,
    pid: s.pid,
    tid: s.tid,
    comm: s.comm,
    cpu: s.cpu,
    allowed_cpus: s.allowed_cpus,
    voluntary_ctxt: s.voluntary_ctxt,
    nonvoluntary_ctxt: s.nonvoluntary_ctxt,
    utime_ticks: s.utime_ticks,
    stime_ticks: s.stime_ticks,
  };
}

// Every repeat is its own entry: spread between repeats is part of the result.
function pointJson(p: PointRecord, accel: Accel | null) {
  return {
    id: p.id,
    /** kvm|tcg for a point measured in a QEMU guest; null on a host. */
    accel,
    seq: p.seq,
    kind: p.kind,
    backend: p.backend,
    server: p.server,
    config: p.config,
    connections: p.connections,
    workers: p.workers,
    rate_per_s: p.rate_per_s,
    rate_of_capacity: p.rate_of_capacity,
    repeat: p.repeat,
    status: p.status,
    reason: p.reason,
    ...(Object.fromEntries(POINT_COLUMNS.map((m) => [m, p[m]])) as Record<(typeof POINT_COLUMNS)[number], number | null>),
    errors: p.errors,
    verified: p.verified,
    verification: p.verification,
    load: p.load,
    warnings: p.warnings,
    requests_per_cpu_s: p.requests_per_cpu_s,
    cpu: p.cpu,
    started_at: p.started_at,
    ended_at: p.ended_at,
  };
}

function runJson(r: RunResults) {
  const { run } = r;
  const accel = runAccel(r.hosts);
  return {
    id: run.id,
    accel,
    accel_note: accelNote(accel),
    comparable_with_host: accel !== 'tcg',
    cell_id: run.cell_id,
    revision_id: run.revision_id,
    status: run.status,
    reason: run.reason,
    quick: run.quick,
    started_at: run.started_at,
    ended_at: run.ended_at,
    points_planned: run.points_planned,
    environment: r.environment,
    hosts: r.hosts ?? [],
    placement: r.placement.map(placementJson),
    points: r.points.map((p) => pointJson(p, accel)),
    summary: summarizePoints(r.points),
  };
}

export function resultsJson(results: ReplayResults) {
  const nb = results.notebook;
  return {
    format: results.format,
    generated_at: results.generated_at,
    elapsed_s: results.elapsed_s,
    quick: results.quick,
    // Per configuration and metric: n, median, 95% CI of the median (order statistics), CV, the
    // repeats themselves; then every backend against the cell's reference backend.
    summaries: results.summaries,
    comparisons: results.comparisons,
    noise: results.noise,
    gates: results.gates,
    // The notebook as run, so the file alone says what was measured and how.
    notebook: { id: nb.id, name: nb.name, revision_id: nb.revision_id, title: nb.content.title, content: nb.content },
    runs: results.runs.map(runJson),
  };
}

export type ResultsJson = ReturnType<typeof resultsJson>;

/** The text of results.json: indented for people who read it (flat arrays such as a histogram's buckets on one line), newline-terminated. */
export function resultsJsonText(results: ReplayResults): string {
  return jsonText(resultsJson(results));
}
