// Records the engine produces and stores. Plain data: every field survives JSON and SQLite.

export type RunStatus = 'running' | 'ok' | 'failed' | 'interrupted' | 'cancelled';
export type PointStatus = 'ok' | 'failed' | 'skipped';

/** What one load-generator invocation measured, independent of which driver produced it. */
export interface LoadResult {
  requests: number;
  duration_s: number;
  requests_per_s: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  latency_us: {
    min: number;
    mean: number;
    stdev: number;
    max: number;
    p50: number;
    p75: number;
    p90: number;
    p99: number;
    p999: number;
    p9999: number;
  };
  /** Present when the driver compared response bodies with the file served. */
  verify?: { checked: number; mismatched: number; bad_status: number };
}

/** One sweep point and repeat, as stored and as written to results.json. */
export interface PointRecord {
  id: number;
  run_id: string;
  seq: number;
  backend: string;
  server: string;
  connections: number;
  workers: number;
  repeat: number;
  status: PointStatus;
  /** Why the point failed or was skipped; null when ok. */
  reason: string | null;
  requests_per_s: number | null;
  latency_p50_us: number | null;
  latency_p90_us: number | null;
  latency_p99_us: number | null;
  latency_p999_us: number | null;
  latency_max_us: number | null;
  /** Socket errors plus non-2xx responses plus body mismatches. */
  errors: number | null;
  verified: boolean;
  /** How `verified` was established: checks that ran and what each found. */
  verification: VerificationRecord | null;
  /** The measured phase's full driver result. */
  load: LoadResult | null;
  started_at: string;
  ended_at: string | null;
}

export interface VerificationRecord {
  sha256_expected: string;
  /** sha256 of a body fetched through the server after the measured phase. */
  sha256_fetched: string | null;
  /** Bodies compared byte for byte with the served file while under load. */
  bodies_checked: number;
  bodies_mismatched: number;
  non_2xx: number;
  socket_errors: number;
}

export interface PlacementSample {
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
