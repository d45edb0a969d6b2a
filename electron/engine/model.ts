// Records the engine produces and stores. Plain data: every field survives JSON and SQLite.
import type { ColumnMetric } from './common/metrics';

export type RunStatus = 'running' | 'ok' | 'failed' | 'interrupted' | 'cancelled';
export type PointStatus = 'ok' | 'failed' | 'skipped';

/** Latency percentiles in microseconds. wrk also reports min, mean, stdev and p75; kept when known. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  min?: number;
  mean?: number;
  stdev?: number;
  p75?: number;
}

/** JSON as a load generator wrote it (kept verbatim, e.g. its latency histogram). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * What one load-generator invocation measured, whichever driver produced it. Closed loop: the
 * generator sends when a response arrives, so latency is service time. Open loop: requests are
 * due on a schedule; `latency_us` counts from the due time (coordinated omission corrected) and
 * `service_us` from the real send.
 */
export interface LoadResult {
  driver: string;
  loop: 'closed' | 'open';
  duration_s: number;
  requests: number;
  /** Achieved: completed requests per second. */
  requests_per_s: number;
  /** Open loop: the rate the schedule offered; null in closed loop. */
  offered_per_s: number | null;
  /** Bytes received in the measured phase. */
  bytes: number;
  /** Errors by kind (connect, read, write, timeout, status, …), as the driver counts them. */
  errors: Record<string, number>;
  /** Responses checked (body, value) and found right; null when this invocation checked none. */
  verified: number | null;
  /** Responses checked and found wrong (so verified + mismatched were checked). */
  mismatched: number;
  /** The wrong ones by kind, as the driver tells them apart (status, body, stale, missing, …). */
  mismatches: Record<string, number>;
  /** null when no request completed in the measured window (nothing to take percentiles of). */
  latency_us: Percentiles | null;
  /** Open loop: the uncorrected service time; null when the driver does not separate it. */
  service_us: Percentiles | null;
  /** Open loop: how late sends went out against their schedule. */
  schedule_lag_us: Percentiles | null;
  /** The generator's own CPU seconds (user + system): in total and per thread when known. */
  cpu_s: { total: number; threads: number[] } | null;
  /** The latency histogram exactly as the generator wrote it, so repeats can be merged exactly. */
  histogram: JsonValue | null;
  /** The generator's own doubts about this measurement ("generator was the bottleneck", …). */
  warnings: string[];
  /** Several load hosts: each generator's share and what it measured (the fields above are their merge). */
  generators?: GeneratorRecord[];
}

/** What one generator was asked to do and what it did, kept in the merged result. */
export interface GeneratorRecord {
  host: string;
  connections: number;
  /** Open loop: its share of the offered rate; null in closed loop. */
  rate_per_s: number | null;
  requests: number;
  requests_per_s: number;
  offered_per_s: number | null;
  errors: number;
  mismatched: number;
  /** When its measured window began (the host's wall clock corrected by its offset to the lab's, Unix ms); null if it did not say. */
  window_start_ms: number | null;
}

export type PointKind = 'measure' | 'probe';

/**
 * One sweep point and repeat, as stored and as written to results.json. Its measured numbers
 * (requests_per_s, offered_per_s — open loop: what the schedule offered —, the latency
 * percentiles, requests_per_cpu_s — requests per CPU second of the server side, null without
 * cpu) are the columns common/metrics.ts defines.
 */
export interface PointRecord extends Record<ColumnMetric, number | null> {
  id: number;
  run_id: string;
  seq: number;
  /** measure: a point of the sweep; probe: a closed-loop capacity probe a rate sweep needs. */
  kind: PointKind;
  backend: string;
  server: string;
  /** The configuration key (common/axes.ts configKey): the same for every repeat and backend. */
  config: string;
  connections: number;
  workers: number;
  /** Open loop: the rate the generator was asked to offer; null in closed loop. */
  rate_per_s: number | null;
  /** When the sweep named the rate as a fraction of measured capacity, that fraction. */
  rate_of_capacity: number | null;
  repeat: number;
  status: PointStatus;
  /** Why the point failed or was skipped; null when ok. */
  reason: string | null;
  /** Socket errors plus wrong responses (bad status, error replies, content mismatches). */
  errors: number | null;
  verified: boolean;
  /** How `verified` was established: checks that ran and what each found. */
  verification: VerificationRecord | null;
  /** The measured phase's full driver result. */
  load: LoadResult | null;
  /** Why this point's numbers may not mean what they seem (from the generator and the lab). */
  warnings: string[];
  /** CPU seconds of the server's and the load generator's threads over the measured phase; null when not measured. */
  cpu: PointCpu | null;
  started_at: string;
  ended_at: string | null;
}

/** CPU time of one class of threads over a measured phase (runner/cpu-accounting.ts). */
export interface CpuClassUsage {
  user_s: number;
  system_s: number;
  total_s: number;
  threads: number;
}

/**
 * What the measured phase cost in CPU, from /proc/<pid>/task/<tid>/stat at its start and end:
 * the server's own threads, libsaio's kernel workers (saio-kworkerN), io_uring SQPOLL and io-wq
 * threads, and the load generator. Resolution: 10 ms per thread (USER_HZ). Each role is read on
 * the host it ran on (runner/point-cpu.ts); across hosts the seconds are summed.
 */
export interface PointCpu {
  /** Wall time the accounting covered (the measured phase, from its start to the generator's exit). */
  wall_s: number;
  /** Everything the server side cost: its classes plus time of its threads that exited meanwhile. */
  server_s: number;
  loadgen_s: number;
  by_class: Record<'server' | 'saio-kworker' | 'sqpoll' | 'io-wq' | 'loadgen', CpuClassUsage>;
  unattributed_s: { server: number; loadgen: number };
  /** Per thread: the busiest first, at most 64; `host` names the host it ran on when not this machine (issue 15). */
  threads: { pid: number; tid: number; comm: string; class: string; user_s: number; system_s: number; total_s: number; host?: string }[];
}

/** The protocol's own check through the server after the load (a fetched body's sha256, a SET then GET). */
export interface AfterCheck {
  check: string;
  expected: string;
  /** What came back; null when nothing did. */
  found: string | null;
  ok: boolean;
}

export interface VerificationRecord {
  protocol: string;
  /** Responses whose content the load generator compared with what it expected. */
  responses_checked: number;
  responses_mismatched: number;
  /** Responses that were errors of the protocol: non-2xx (HTTP), error replies (redis, memcached). */
  bad_responses: number;
  socket_errors: number;
  after: AfterCheck | null;
}

export interface PlacementSample {
  /** The notebook's name of the host the thread ran on; absent: this machine ("local"). */
  host?: string;
  point_id: number | null;
  /** Milliseconds since the run started. */
  t_ms: number;
  role: 'server' | 'driver' | 'kernel-worker';
  pid: number;
  tid: number;
  comm: string;
  cpu: number;
  allowed_cpus: string;
  voluntary_ctxt: number;
  nonvoluntary_ctxt: number;
  utime_ticks: number;
  stime_ticks: number;
}

/** A host a run used (issue 15): what it is, what it ran, and what it was like. */
export interface RunHostRecord {
  /** The notebook's name for it ("local", "srv", …). */
  name: string;
  kind: 'local' | 'ssh' | 'qemu';
  /** How the lab reached it ("local", "ssh://saio-srv", …). */
  address: string;
  roles: ('server' | 'driver')[];
  /** The machine as seen from there (kernel, CPUs, memory, tools), as hosts/types.ts HostEnvironment. */
  environment:
    | (Omit<EnvironmentSnapshot, 'node' | 'git_commit' | 'git_dirty' | 'server' | 'server_version' | 'driver' | 'driver_version'> & {
        host: string;
        kind: string;
        address: string;
        tools: Record<string, string>;
      })
    | null;
  /** Its clock − the lab's, in ms, with the uncertainty of the estimate; null on the lab's own machine. */
  clock_offset: { offset_ms: number; uncertainty_ms: number; samples: number } | null;
  /** The route from this host to the server's address (load hosts; and the lab's own). */
  network_path: { to: string; interface: string; source: string | null; via: string | null; mtu: number | null; speed_mbps: number | null; link_kind: string; operstate: string | null } | null;
  /** What the host check found or did (a file in place by hash, a copy made). */
  notes: string[];
}

export interface EnvironmentSnapshot {
  captured_at: string;
  kernel: string;
  kernel_cmdline: string;
  os: string;
  cpu_model: string;
  cpus: number;
  memory_bytes: number;
  node: string;
  git_commit: string | null;
  git_dirty: boolean | null;
  server: string;
  server_version: string;
  driver: string;
  driver_version: string;
  /** Anything else that matters to reading the numbers (mitigations, governor, …). */
  extra: Record<string, string>;
}

export interface RunRecord {
  id: string;
  notebook_id: string;
  revision_id: string;
  cell_id: string;
  status: RunStatus;
  reason: string | null;
  quick: boolean;
  started_at: string;
  ended_at: string | null;
  /** The lab process that drives the run, to find runs left behind by a killed lab. */
  owner_pid: number;
  owner_start: string;
  points_planned: number;
  run_dir: string;
}

export interface ArtifactRecord {
  id: number;
  run_id: string;
  point_id: number | null;
  /** e.g. server-config, server-stderr, driver-stdout, preload-stats, dmesg */
  kind: string;
  name: string;
  sha256: string;
  size: number;
}

export interface NotebookRecord {
  id: string;
  name: string;
  created_at: string;
  /** Null only inside the transaction that creates the notebook and its first revision. */
  head_revision_id: string | null;
}

export interface RevisionRecord {
  id: string;
  notebook_id: string;
  parent_id: string | null;
  content_sha256: string;
  message: string;
  created_at: string;
}

export interface ProgressEvent {
  run_id: string;
  cell_id: string;
  /** 1-based index of the point now running (or just finished) and the total. */
  point: number;
  points: number;
  phase: 'starting' | 'warmup' | 'measure' | 'verify' | 'done' | 'skipped' | 'failed';
  label: string;
  elapsed_s: number;
  eta_s: number | null;
}
