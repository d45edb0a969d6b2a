// The JSON documents of a bundle, as zod schemas: strict (an unknown field is an error, since a
// new field means a new format version) and checked against the engine's record types below,
// so the bundle and the store cannot drift apart silently.
import { z } from 'zod';
import { POINT_COLUMNS } from '../common/metrics';
import type { EnvironmentSnapshot, JsonValue, PlacementSample, PointRecord, RunRecord } from '../model';
import { jsonPath } from '../notebook/validate';
import { BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, PATH_ID } from './format';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in lower-case hex');
const pathId = z.string().regex(PATH_ID, 'expected an id of letters, digits, "-" and "_" (at most 64)');
const timestamp = z.string().min(1).max(64);
const int = z.number().int();
const count = int.min(0);

/** Version 1 bundles (before issue 11) are still read: their runs are parsed by schemas-v1.ts. */
export const Manifest = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  version: z.union([z.literal(1), z.literal(BUNDLE_VERSION)]),
  created_at: timestamp,
  producer: z.string().max(200),
  notebook: z.strictObject({ id: pathId, name: z.string() }),
  files: z.array(z.strictObject({ path: z.string().min(1).max(100), size: count, sha256: sha256Hex })),
});
export type Manifest = z.infer<typeof Manifest>;

export const RevisionDoc = z.strictObject({
  id: sha256Hex,
  parent_id: sha256Hex.nullable(),
  content_sha256: sha256Hex,
  message: z.string(),
  created_at: timestamp,
  /** The canonical notebook text, exactly as stored and hashed. */
  content: z.string(),
});
export type RevisionDoc = z.infer<typeof RevisionDoc>;

/** notebook.json: revisions are listed parents first. */
export const NotebookDoc = z.strictObject({
  notebook: z.strictObject({ id: pathId, name: z.string(), created_at: timestamp, head_revision_id: sha256Hex }),
  revisions: z.array(RevisionDoc).min(1),
});
export type NotebookDoc = z.infer<typeof NotebookDoc>;

export const Run = z.strictObject({
  id: pathId,
  notebook_id: pathId,
  revision_id: sha256Hex,
  cell_id: z.string(),
  status: z.enum(['running', 'ok', 'failed', 'interrupted', 'cancelled']),
  reason: z.string().nullable(),
  quick: z.boolean(),
  started_at: timestamp,
  ended_at: timestamp.nullable(),
  owner_pid: int,
  owner_start: z.string(),
  points_planned: count,
  run_dir: z.string(),
});

export const Environment = z.strictObject({
  captured_at: timestamp,
  kernel: z.string(),
  kernel_cmdline: z.string(),
  os: z.string(),
  cpu_model: z.string(),
  cpus: count,
  memory_bytes: count,
  node: z.string(),
  git_commit: z.string().nullable(),
  git_dirty: z.boolean().nullable(),
  server: z.string(),
  server_version: z.string(),
  driver: z.string(),
  driver_version: z.string(),
  extra: z.record(z.string(), z.string()),
});

const Verification = z.strictObject({
  protocol: z.string(),
  responses_checked: count,
  responses_mismatched: count,
  bad_responses: count,
  socket_errors: count,
  after: z.strictObject({ check: z.string(), expected: z.string(), found: z.string().nullable(), ok: z.boolean() }).nullable(),
});

const n = z.number();
const Percentiles = z.strictObject({
  p50: n,
  p90: n,
  p99: n,
  p999: n,
  p9999: n,
  max: n,
  min: n.optional(),
  mean: n.optional(),
  stdev: n.optional(),
  p75: n.optional(),
});
const Json: z.ZodType<JsonValue> = z.json();
const Load = z.strictObject({
  driver: z.string(),
  loop: z.enum(['closed', 'open']),
  duration_s: n,
  requests: n,
  requests_per_s: n,
  offered_per_s: n.nullable(),
  bytes: n,
  errors: z.record(z.string(), n),
  verified: n.nullable(),
  mismatched: n,
  mismatches: z.record(z.string(), n),
  latency_us: Percentiles.nullable(),
  service_us: Percentiles.nullable(),
  schedule_lag_us: Percentiles.nullable(),
  cpu_s: z.strictObject({ total: n, threads: z.array(n) }).nullable(),
  histogram: Json.nullable(),
  warnings: z.array(z.string()),
  generators: z
    .array(
      z.strictObject({
        host: z.string(),
        connections: n,
        rate_per_s: n.nullable(),
        requests: n,
        requests_per_s: n,
        offered_per_s: n.nullable(),
        errors: n,
        mismatched: n,
        window_start_ms: n.nullable(),
      }),
    )
    .optional(),
});

const CpuClass = z.strictObject({ user_s: n, system_s: n, total_s: n, threads: int });
const Cpu = z.strictObject({
  wall_s: n,
  server_s: n,
  loadgen_s: n,
  by_class: z.strictObject({ server: CpuClass, 'saio-kworker': CpuClass, sqpoll: CpuClass, 'io-wq': CpuClass, loadgen: CpuClass }),
  unattributed_s: z.strictObject({ server: n, loadgen: n }),
  threads: z.array(z.strictObject({ pid: int, tid: int, comm: z.string(), class: z.string(), user_s: n, system_s: n, total_s: n, host: z.string().optional() })),
});

/** A point without its database-local id and run id: `seq` identifies it within the run. */
const Point = z.strictObject({
  seq: count,
  kind: z.enum(['measure', 'probe']),
  backend: z.string(),
  server: z.string(),
  config: z.string(),
  connections: int,
  workers: int,
  rate_per_s: n.nullable(),
  rate_of_capacity: n.nullable(),
  repeat: int,
  status: z.enum(['ok', 'failed', 'skipped']),
  reason: z.string().nullable(),
  ...(Object.fromEntries(POINT_COLUMNS.map((m) => [m, n.nullable()])) as Record<(typeof POINT_COLUMNS)[number], z.ZodNullable<typeof n>>),
  errors: int.nullable(),
  verified: z.boolean(),
  verification: Verification.nullable(),
  load: Load.nullable(),
  warnings: z.array(z.string()),
  // Issue 12: absent in bundles written before CPU was measured.
  cpu: Cpu.nullable().default(null),
  requests_per_cpu_s: n.nullable().default(null),
  started_at: timestamp,
  ended_at: timestamp.nullable(),
});

export const Placement = z.strictObject({
  /** Absent in bundles from before issue 15: this machine. */
  host: z.string().optional(),
  point_seq: count.nullable(),
  t_ms: int,
  role: z.enum(['server', 'driver', 'kernel-worker']),
  pid: int,
  tid: int,
  comm: z.string(),
  cpu: int,
  allowed_cpus: z.string(),
  voluntary_ctxt: int,
  nonvoluntary_ctxt: int,
  utime_ticks: int,
  stime_ticks: int,
});

/** A host a run used, as model.ts RunHostRecord (its environment and path kept as recorded). */
export const RunHost = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/),
  kind: z.enum(['local', 'ssh', 'qemu']),
  address: z.string(),
  roles: z.array(z.enum(['server', 'driver'])),
  environment: z.record(z.string(), z.unknown()).nullable(),
  clock_offset: z.strictObject({ offset_ms: z.number(), uncertainty_ms: z.number(), samples: z.number() }).nullable(),
  network_path: z.record(z.string(), z.unknown()).nullable(),
  notes: z.array(z.string()),
});

/** Artifact number i of this list is the file artifacts/<run-id>/<i>. */
export const Artifact = z.strictObject({ point_seq: count.nullable(), kind: z.string(), name: z.string(), size: count, sha256: sha256Hex });

export const RunDoc = z.strictObject({
  run: Run,
  environment: Environment.nullable(),
  points: z.array(Point),
  placement: z.array(Placement),
  artifacts: z.array(Artifact),
  /** The hosts the run used (issue 15); absent in older bundles and for runs on one machine. */
  hosts: z.array(RunHost).optional(),
});
export type RunDoc = z.infer<typeof RunDoc>;
export type PointDoc = RunDoc['points'][number];
export type PlacementDoc = RunDoc['placement'][number];
export type ArtifactDoc = RunDoc['artifacts'][number];

// Compile-time guards: each document shape is exactly the record it carries.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchModel: [
  Same<z.infer<typeof Run>, RunRecord>,
  Same<z.infer<typeof Environment>, EnvironmentSnapshot>,
  Same<PointDoc, Omit<PointRecord, 'id' | 'run_id'>>,
  Same<Omit<PlacementDoc, 'point_seq'>, Omit<PlacementSample, 'point_id'>>,
] = [true, true, true, true];
void schemasMatchModel;

/** Decode and validate one JSON file of the bundle; errors name the file and the JSON path. */
export function parseBundleJson<S extends z.ZodType>(source: string, path: string, bytes: Buffer, schema: S): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new BundleError(`${source}: ${path} is not valid UTF-8 JSON (${(e as Error).message}); the bundle is damaged, export it again`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${jsonPath(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : '';
    throw new BundleError(`${source}: ${path} is not valid: ${issues.join('; ')}${more}; the bundle is damaged or not from saio-lab`);
  }
  return parsed.data;
}
