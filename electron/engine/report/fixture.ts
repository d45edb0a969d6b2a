// Test helper: a realistic replay of one experiment (two backends, three connection counts, two
// repeats, one failed point) with its notebook, environment and placement samples.
import { configKey } from '../common/axes';
import { noMetrics } from '../common/metrics';
import type { EnvironmentSnapshot, PlacementSample, PointCpu, PointRecord, RunRecord } from '../model';
import type { Notebook } from '../common/notebook/schema';
import { notebookStatistics } from '../common/statistics';
import { RESULTS_FORMAT, type ReplayResults } from '../common/results';

export const FIXTURE_FAIL_REASON = 'wrk exited with code 1: "socket: too many open files", giving up';

export interface FixtureOptions {
  /** Source of the notebook's first markdown cell. */
  markdown?: string;
  /** Reason of the failed point. */
  failReason?: string;
  /** Title of the notebook. */
  title?: string;
}

export const BACKENDS = ['baseline', 'saio-uring'] as const;
export const CONNECTIONS = [10, 100, 1000] as const;
export const REPEATS = 2;
const RUN_ID = 'run-20250301-0001';
const START = Date.parse('2025-03-01T10:00:00.000Z');

function notebook(o: FixtureOptions): Notebook {
  return {
    format: 'saio-lab/notebook@2',
    title: o.title ?? 'nginx static file: baseline vs saio-uring',
    cells: [
      {
        id: 'intro',
        type: 'markdown',
        source:
          o.markdown ??
          '# Why\n\nDoes **saio-uring** beat *baseline* on a `4 KiB` file?\n\n- keep-alive on\n- 1 worker\n\n' + 'See [the paper](https://example.org/saio).\n\n```sh\nsaio-lab replay nb.json\n```',
      },
      {
        id: 'sweep',
        type: 'experiment',
        title: 'Connections sweep',
        server: { kind: 'nginx', workers: 1, extra_config: '' },
        protocol: { kind: 'http', file_size: 4096, keep_alive: true },
        backends: [...BACKENDS],
        driver: { kind: 'wrk', threads: 2, timeout_s: 5, verify: 'warmup' },
        sweep: { connections: [...CONNECTIONS] },
        duration_s: 10,
        warmup_s: 2,
        repeats: REPEATS,
        pinning: { server: [0, 1], driver: [2, 3] },
        quick: { duration_s: 1, warmup_s: 0.5 },
      },
      { id: 'rps', type: 'plot', title: 'Throughput', experiment: 'sweep', x: 'connections', y: 'requests_per_s', series: 'backend' },
      { id: 'p99', type: 'plot', experiment: 'sweep', x: 'connections', y: 'latency_p99_us', series: 'backend' },
    ],
  };
}

/** CPU of a measured phase: server_s seconds of the server's one worker thread over wall_s. */
export function fixtureCpu(server_s: number, wall_s: number): PointCpu {
  const none = { user_s: 0, system_s: 0, total_s: 0, threads: 0 };
  return {
    wall_s,
    server_s,
    loadgen_s: 0.5,
    by_class: {
      server: { user_s: server_s / 2, system_s: server_s / 2, total_s: server_s, threads: 1 },
      'saio-kworker': none,
      sqpoll: none,
      'io-wq': none,
      loadgen: { user_s: 0.25, system_s: 0.25, total_s: 0.5, threads: 1 },
    },
    unattributed_s: { server: 0, loadgen: 0 },
    threads: [{ pid: 10, tid: 11, comm: 'nginx', class: 'server', user_s: server_s / 2, system_s: server_s / 2, total_s: server_s }],
  };
}

// Deterministic numbers with a little spread between repeats, like real measurements.
function point(seq: number, backend: string, connections: number, repeat: number, failReason: string): PointRecord {
  const started = new Date(START + seq * 12_000).toISOString();
  const ended = new Date(START + seq * 12_000 + 11_000).toISOString();
  const base = {
    id: 100 + seq,
    run_id: RUN_ID,
    seq,
    kind: 'measure' as const,
    backend,
    server: 'nginx',
    config: configKey({ workers: 1, connections, rate: null }),
    connections,
    workers: 1,
    rate_per_s: null,
    rate_of_capacity: null,
    repeat,
    offered_per_s: null,
    warnings: [],
    cpu: null,
    requests_per_cpu_s: null,
    started_at: started,
  };
  if (backend === 'saio-uring' && connections === 1000 && repeat === 2) {
    return {
      ...base,
      status: 'failed',
      reason: failReason,
      ...noMetrics(),
      errors: null,
      verified: false,
      verification: null,
      load: null,
      ended_at: ended,
    };
  }
  const scale = (backend === 'baseline' ? 1 : 1.3) * (repeat === 1 ? 1 : 0.97);
  const rps = Math.round({ 10: 45_210.5, 100: 98_123.25, 1000: 91_004 }[connections]! * scale);
  const p50 = Math.round((connections / rps) * 1e6);
  return {
    ...base,
    status: 'ok',
    reason: null,
    requests_per_s: rps,
    latency_p50_us: p50,
    latency_p90_us: p50 * 2,
    latency_p99_us: p50 * 4 + repeat,
    latency_p999_us: p50 * 9,
    latency_max_us: p50 * 30,
    errors: 0,
    // saio-uring's extra throughput costs it more CPU here than it saves: per CPU second it is slower.
    cpu: fixtureCpu(backend === 'baseline' ? 1.1 : 1.6, 10),
    requests_per_cpu_s: Math.round((rps * 10) / (backend === 'baseline' ? 1.1 : 1.6)),
    verified: true,
    verification: {
      protocol: 'http',
      responses_checked: rps * 2,
      responses_mismatched: 0,
      bad_responses: 0,
      socket_errors: 0,
      after: { check: 'sha256 of the body fetched after the load', expected: 'ab'.repeat(32), found: 'ab'.repeat(32), ok: true },
    },
    load: null,
    ended_at: ended,
  };
}

function placement(): PlacementSample[] {
  const threads: Pick<PlacementSample, 'role' | 'pid' | 'tid' | 'comm' | 'allowed_cpus'>[] = [
    { role: 'server', pid: 4100, tid: 4100, comm: 'nginx', allowed_cpus: '0-1' },
    { role: 'server', pid: 4101, tid: 4101, comm: 'nginx', allowed_cpus: '0-1' },
    { role: 'kernel-worker', pid: 77, tid: 77, comm: 'saio-kw/0', allowed_cpus: '0-3' },
    { role: 'driver', pid: 5200, tid: 5201, comm: 'wrk', allowed_cpus: '2-3' },
  ];
  const samples: PlacementSample[] = [];
  for (let i = 0; i < 3; i++) {
    threads.forEach((t, k) =>
      samples.push({
        ...t,
        point_id: 100 + i,
        t_ms: 1500 + i * 500,
        cpu: t.role === 'driver' ? 2 + (i % 2) : k % 2,
        voluntary_ctxt: 10 + i * 40,
        nonvoluntary_ctxt: 2 + i * 3,
        utime_ticks: 5 + i * 20,
        stime_ticks: 3 + i * 10,
      }),
    );
  }
  return samples;
}

export const FIXTURE_ENVIRONMENT: EnvironmentSnapshot = {
  captured_at: '2025-03-01T09:59:58.000Z',
  kernel: '6.8.0-saio+',
  kernel_cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/sda1 mitigations=off',
  os: 'Ubuntu 24.04 LTS',
  cpu_model: 'AMD EPYC 7543 32-Core Processor',
  cpus: 8,
  memory_bytes: 16 * 1024 ** 3,
  node: 'v20.11.1',
  git_commit: '3f2c9a1d0b7e',
  git_dirty: true,
  server: 'nginx',
  server_version: '1.24.0',
  driver: 'wrk',
  driver_version: '4.2.0',
  extra: { governor: 'performance', smt: 'off' },
};

export function fixture(options: FixtureOptions = {}): ReplayResults {
  const failReason = options.failReason ?? FIXTURE_FAIL_REASON;
  const points: PointRecord[] = [];
  for (const backend of BACKENDS) {
    for (const connections of CONNECTIONS) {
      for (let repeat = 1; repeat <= REPEATS; repeat++) {
        points.push(point(points.length + 1, backend, connections, repeat, failReason));
      }
    }
  }
  const run: RunRecord = {
    id: RUN_ID,
    notebook_id: 'nb-1',
    revision_id: 'rev-7',
    cell_id: 'sweep',
    status: 'failed',
    reason: '1 of 12 points failed',
    quick: false,
    started_at: new Date(START).toISOString(),
    ended_at: new Date(START + 150_000).toISOString(),
    owner_pid: 1234,
    owner_start: '2025-03-01T09:59:00.000Z',
    points_planned: points.length,
    run_dir: '/tmp/saio/runs/run-20250301-0001',
  };
  return {
    format: RESULTS_FORMAT,
    generated_at: '2025-03-01T10:02:31.000Z',
    notebook: { id: 'nb-1', name: 'static-file', revision_id: 'rev-7', content: notebook(options) },
    runs: [{ run, environment: FIXTURE_ENVIRONMENT, placement: placement(), points }],
    elapsed_s: 151.5,
    quick: false,
    ...notebookStatistics([{ run, environment: FIXTURE_ENVIRONMENT, placement: [], points }], notebook(options)),
    gates: [],
  };
}

/**
 * An open-loop replay: two backends probed for capacity (10,000 and 12,000 requests/s), then
 * offered 0.5 and 0.9 of 12,000 in two repeats; saio-uring falls short at 0.9 and the generator
 * says so on those points.
 */
export function rateFixture(): ReplayResults {
  const base = fixture();
  const nb = structuredClone(base.notebook.content);
  const exp = nb.cells[1];
  if (exp?.type !== 'experiment') throw new Error('fixture: cells[1] is the experiment');
  exp.driver = { kind: 'saio-load', threads: 1, arrivals: 'poisson', depth: 4, pipeline: 1, timeout_s: 2 };
  exp.sweep = { connections: [50], rate: { of_capacity: [0.5, 0.9] } };
  nb.cells.push({ id: 'tail', type: 'plot', title: 'Tail', experiment: 'sweep', x: 'requests_per_s', y: ['latency_p99_us', 'latency_p999_us'], series: 'backend' });
  const points: PointRecord[] = [];
  const add = (backend: string, kind: 'probe' | 'measure', fraction: number | null, repeat: number, rps: number, p99: number, warnings: string[]) => {
    const seq = points.length + 1;
    const rate = fraction === null ? null : Math.round(fraction * 12_000);
    points.push({
      id: 500 + seq,
      run_id: RUN_ID,
      seq,
      kind,
      backend,
      server: 'nginx',
      config: configKey({ workers: 1, connections: 50, rate: fraction === null ? null : { of_capacity: fraction } }),
      connections: 50,
      workers: 1,
      rate_per_s: rate,
      rate_of_capacity: fraction,
      repeat,
      status: 'ok',
      reason: null,
      requests_per_s: rps,
      offered_per_s: rate,
      latency_p50_us: p99 / 5,
      latency_p90_us: p99 / 2,
      latency_p99_us: p99,
      latency_p999_us: p99 * 3,
      latency_max_us: p99 * 4,
      errors: 0,
      verified: true,
      verification: null,
      load: null,
      warnings,
      cpu: null,
      requests_per_cpu_s: null,
      started_at: new Date(START + seq * 3000).toISOString(),
      ended_at: new Date(START + seq * 3000 + 2500).toISOString(),
    });
  };
  add('baseline', 'probe', null, 1, 10_000, 900, []);
  add('saio-uring', 'probe', null, 1, 12_000, 700, []);
  for (const repeat of [1, 2]) {
    add('baseline', 'measure', 0.5, repeat, 6000 - repeat, 300 + repeat, []);
    add('saio-uring', 'measure', 0.5, repeat, 6000 + repeat, 200 + repeat, []);
    add('baseline', 'measure', 0.9, repeat, 9900 + repeat, 40_000 + repeat, ['achieved 91.7% of the offered load (9,900 of 10,800/s)']);
    add('saio-uring', 'measure', 0.9, repeat, 10_790 - repeat, 900 + repeat, []);
  }
  const run = { ...base.runs[0]!.run, status: 'ok' as const, reason: '2 points carry warnings; first: achieved 91.7% of the offered load (9,900 of 10,800/s)', points_planned: points.length };
  const runs = [{ ...base.runs[0]!, run, points }];
  return { ...base, notebook: { ...base.notebook, content: nb }, runs, ...notebookStatistics(runs, nb) };
}
