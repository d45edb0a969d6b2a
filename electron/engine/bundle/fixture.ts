// Test-only: a store holding one notebook with three revisions, two finished runs and one still
// running, everything inserted through the Store's own methods; and a way to compare what two
// stores hold for a notebook, field by field, with database-local point ids replaced by seq.
import { configKey } from '../common/axes';
import type { EnvironmentSnapshot, LoadResult, NotebookRecord, PlacementSample, RevisionRecord, RunHostRecord } from '../model';
import { createNotebook, saveRevision } from '../notebooks';
import type { Notebook } from '../common/notebook/schema';
import { validateNotebook } from '../notebook/validate';
import { Store, type NewPoint } from '../store/store';
import { exportBundle } from './export';
import { fixtureCpu } from '../report/fixture';

export function notebookDoc(extraConfig = ''): Notebook {
  const v = validateNotebook({
    format: 'saio-lab/notebook@2',
    title: 'Static files under load',
    cells: [
      { id: 'intro', type: 'markdown', source: '# Static files\nHow does nginx scale?\n' },
      {
        id: 'exp',
        type: 'experiment',
        server: { kind: 'nginx', extra_config: extraConfig },
        protocol: { kind: 'http', file_size: 1024 },
        backends: ['baseline'],
        driver: { kind: 'wrk' },
        sweep: { connections: [10, 50] },
        duration_s: 1,
        warmup_s: 1, // whole seconds: the schema takes no fractions
        repeats: 2,
      },
      { id: 'plot', type: 'plot', experiment: 'exp', x: 'connections', y: 'requests_per_s' },
    ],
  });
  if (!v.ok) throw new Error(`fixture notebook is invalid: ${JSON.stringify(v.errors)}`);
  return v.notebook;
}

const load = (rps: number): LoadResult => ({
  driver: 'saio-load',
  loop: 'open',
  requests: rps * 2,
  duration_s: 2.000123,
  requests_per_s: rps,
  offered_per_s: rps * 1.01,
  bytes: rps * 2048,
  errors: { connect: 0, read: 1, write: 0, timeout: 0, status: 0 },
  verified: 100,
  mismatched: 0,
  mismatches: { body: 0, stale: 0 },
  latency_us: { max: 9000, p50: 90, p90: 150, p99: 800, p999: 4000, p9999: 8000 },
  service_us: { max: 8000, p50: 80, p90: 140, p99: 700, p999: 3000, p9999: 7000 },
  schedule_lag_us: { max: 300, p50: 1, p90: 2, p99: 30, p999: 100, p9999: 200 },
  cpu_s: { total: 1.25, threads: [1.25] },
  // An exact histogram as a generator writes it: whatever JSON, kept verbatim.
  histogram: {
    unit: 'us',
    significant_digits: 3,
    buckets: [
      [85, 10],
      [90, 50],
      [800, 39],
      [9000, 1],
    ],
  },
  warnings: ['achieved 99% of offered'],
});

const environment: EnvironmentSnapshot = {
  captured_at: '2025-01-02T03:04:05.678Z',
  kernel: '6.8.0-test',
  kernel_cmdline: 'quiet mitigations=off',
  os: 'Test Linux 1',
  cpu_model: 'Imaginary CPU @ 3.00GHz',
  cpus: 2,
  memory_bytes: 8 * 1024 ** 3,
  node: 'v20.0.0',
  git_commit: null,
  git_dirty: null,
  server: 'nginx',
  server_version: '1.24.0',
  driver: 'wrk',
  driver_version: '4.2.0',
  extra: { governor: 'performance', 'vulnerability.meltdown': 'Not affected' },
};

export function point(runId: string, seq: number, status: NewPoint['status']): NewPoint {
  const ok = status === 'ok';
  return {
    run_id: runId,
    seq,
    kind: seq === 0 ? 'probe' : 'measure',
    backend: 'baseline',
    server: 'nginx',
    config: configKey({ workers: 1, connections: seq % 2 === 0 ? 10 : 50, rate: seq === 0 ? null : { of_capacity: 0.5 } }),
    connections: seq % 2 === 0 ? 10 : 50,
    workers: 1,
    rate_per_s: seq === 0 ? null : 5000,
    rate_of_capacity: seq === 0 ? null : 0.5,
    repeat: Math.floor(seq / 2),
    status,
    reason: ok ? null : `point ${seq} ${status}`,
    requests_per_s: ok ? 10000.25 + seq : null,
    offered_per_s: ok ? 10100.5 : null,
    latency_p50_us: ok ? 90.5 : null,
    latency_p90_us: ok ? 150 : null,
    latency_p99_us: ok ? 800.125 : null,
    latency_p999_us: ok ? 4000 : null,
    latency_max_us: ok ? 9000 : null,
    errors: ok ? 1 : null,
    verified: ok,
    verification: ok
      ? {
          protocol: 'http',
          responses_checked: 100,
          responses_mismatched: 0,
          bad_responses: 0,
          socket_errors: 1,
          after: { check: 'sha256 of the body fetched after the load', expected: 'a'.repeat(64), found: 'a'.repeat(64), ok: true },
        }
      : null,
    load: ok ? load(10000 + seq) : null,
    warnings: ok && seq % 2 === 1 ? ['generator was the bottleneck', 'achieved 82% of offered'] : [],
    cpu: ok ? fixtureCpu(0.75, 2) : null,
    requests_per_cpu_s: ok ? ((10000 + seq) * 2) / 0.75 : null,
    started_at: `2025-01-02T03:0${seq}:00.000Z`,
    ended_at: ok ? `2025-01-02T03:0${seq}:02.000Z` : null,
  };
}

function sample(pointId: number | null, t: number): PlacementSample {
  return {
    point_id: pointId,
    t_ms: t,
    role: t % 2 ? 'driver' : 'server',
    pid: 4242,
    tid: 4242 + t,
    comm: 'nginx',
    cpu: t % 2,
    allowed_cpus: '0-1',
    voluntary_ctxt: 7 * t,
    nonvoluntary_ctxt: t,
    utime_ticks: 3 * t,
    stime_ticks: 2 * t,
  };
}

/** A host of a run across hosts: an SSH server with its environment, clock offset and network path. */
export const remoteHost: RunHostRecord = {
  name: 'srv',
  kind: 'ssh',
  address: 'ssh://saio-srv',
  roles: ['server'],
  environment: {
    host: 'srv',
    kind: 'ssh',
    address: 'ssh://saio-srv',
    captured_at: '2025-01-02T03:10:00.000Z',
    kernel: '6.8.0-test',
    kernel_cmdline: 'ro',
    os: 'Debian GNU/Linux 12 (bookworm)',
    cpu_model: 'QEMU Virtual CPU',
    cpus: 2,
    memory_bytes: 2 ** 31,
    extra: {},
    tools: { nginx: 'nginx/1.22.1' },
  },
  clock_offset: { offset_ms: 0.4, uncertainty_ms: 1.2, samples: 7 },
  network_path: { to: '10.213.0.2', interface: 'eth0', source: '10.213.0.3', via: null, mtu: 1500, speed_mbps: 10000, link_kind: 'veth', operstate: 'up' },
  notes: ['libsaio.so: copied to /root/.cache/saio-lab/runs/x.srv/libsaio.so'],
};

/** Every byte value, zeros included, and a size that is no multiple of 512. */
export const binaryArtifact = Buffer.from(Array.from({ length: 1500 }, (_, i) => (i * 7) % 256));

function addRun(
  store: Store,
  nb: NotebookRecord,
  rev: RevisionRecord,
  id: string,
  statuses: NewPoint['status'][],
  artifacts: { kind: string; name: string; seq: number | null; content: Buffer }[],
): void {
  store.insertRun({
    id,
    notebook_id: nb.id,
    revision_id: rev.id,
    cell_id: 'exp',
    quick: id.endsWith('2'),
    started_at: `2025-01-02T03:0${id.slice(-1)}:00.000Z`,
    owner_pid: 4000,
    owner_start: '123456',
    points_planned: statuses.length,
    run_dir: `/var/lab/runs/${id}`,
  });
  const ids = statuses.map((s, seq) => store.insertPoint(point(id, seq, s)));
  for (const a of artifacts) store.insertArtifact({ run_id: id, point_id: a.seq === null ? null : (ids[a.seq] as number), kind: a.kind, name: a.name }, a.content);
  store.insertPlacement(id, [sample(null, 0), ...ids.map((p, i) => sample(p, i + 1))]);
  store.putEnvironment(id, environment);
}

export interface Source {
  notebook: NotebookRecord;
  revisions: RevisionRecord[];
}

/** Three revisions; runs 1 (ok) and 2 (failed) finished, run 3 still running. */
export function fillSource(store: Store, opts: { name?: string; extraConfig?: string; artifactText?: string } = {}): Source {
  const first = notebookDoc(opts.extraConfig);
  const { notebook } = createNotebook(store, opts.name ?? 'static-files', first, 'Create');
  const second = structuredClone(first);
  second.title = 'Static files under load, take two';
  const r2 = saveRevision(store, notebook, second, 'Retitle').revision;
  const third = structuredClone(second);
  const exp = third.cells[1];
  if (exp?.type === 'experiment') exp.sweep.connections = [10, 50, 100];
  const r3 = saveRevision(store, notebook, third, 'Sweep 100 connections too').revision;
  const text = Buffer.from(opts.artifactText ?? 'worker_processes 1;\nhttp { }\n');
  addRun(
    store,
    notebook,
    r2,
    'run-000000000001',
    ['ok', 'ok', 'failed', 'ok'],
    [
      { kind: 'server-config', name: 'nginx.conf', seq: null, content: text },
      { kind: 'driver-stdout', name: 'wrk.out', seq: 1, content: binaryArtifact },
      { kind: 'server-stderr', name: 'stderr', seq: 2, content: Buffer.alloc(0) },
      { kind: 'dmesg', name: 'dmesg', seq: 3, content: Buffer.from([0, 0, 0, 1, 0]) },
    ],
  );
  store.finishRun('run-000000000001', 'ok', null, '2025-01-02T03:09:00.000Z');
  addRun(store, notebook, r3, 'run-000000000002', ['ok', 'skipped'], [{ kind: 'server-config', name: 'nginx.conf', seq: 0, content: text }]);
  // A run across hosts (issue 15): a sample from the server's host, and the hosts it used.
  store.insertPlacement('run-000000000002', [{ ...sample(null, 9), host: 'srv' }]);
  store.putRunHost('run-000000000002', remoteHost);
  store.finishRun('run-000000000002', 'failed', 'server exited with status 1', '2025-01-02T03:19:00.000Z');
  addRun(store, notebook, r3, 'run-000000000003', ['ok'], []);
  const nb = store.getNotebook(notebook.id) as NotebookRecord;
  return { notebook: nb, revisions: store.listRevisions(nb.id) };
}

/** What a store holds for a notebook, without database-local ids; finished runs only. */
export function snapshot(store: Store, notebookId: string) {
  return {
    notebook: store.getNotebook(notebookId),
    revisions: store.listRevisions(notebookId).map((r) => ({ ...r, content: store.revisionContent(r.id) })),
    runs: store
      .listRuns(notebookId)
      .filter((r) => r.status !== 'running')
      .map((run) => {
        const points = store.listPoints(run.id);
        const seq = (id: number | null) => (id === null ? null : points.find((p) => p.id === id)?.seq);
        return {
          run,
          points: points.map(({ id: _id, ...p }) => p),
          artifacts: store.listArtifacts(run.id).map(({ id, point_id, ...a }) => ({ ...a, point_seq: seq(point_id), content: store.artifactContent(id) })),
          placement: store.listPlacement(run.id).map(({ point_id, ...s }) => ({ ...s, point_seq: seq(point_id) })),
          environment: store.getEnvironment(run.id),
          hosts: store.listRunHosts(run.id),
        };
      }),
  };
}

/** A fresh in-memory store filled by fillSource, its notebook exported to `file`: where a bundle test starts. */
export function exportedSource(file: string): { src: Store; notebook: NotebookRecord } {
  const src = new Store(':memory:');
  const { notebook } = fillSource(src);
  exportBundle(src, notebook.id, file);
  return { src, notebook };
}

/** Inserts run `id` of `notebook` (another notebook than the bundle's) into `store`, as a lab on another machine made it. */
export function insertOtherRun(store: Store, notebook: NotebookRecord, id: string, pointsPlanned: number): void {
  store.insertRun({
    id,
    notebook_id: notebook.id,
    revision_id: notebook.head_revision_id as string,
    cell_id: 'exp',
    quick: false,
    started_at: '2024-01-01T00:00:00.000Z',
    owner_pid: 1,
    owner_start: '1',
    points_planned: pointsPlanned,
    run_dir: '/x',
  });
}
