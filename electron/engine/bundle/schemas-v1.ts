// The runs of a version-1 bundle (saio-lab before issue 11), as they were written: points in
// wrk's shape. Frozen; verify.ts parses a version-1 run with this, then upgrades its points
// through legacy/v1.ts (the same conversion the store's migration 2 applies).
import { z } from 'zod';
import type { PointV1 } from '../legacy/v1';
import { Artifact, Environment, Placement, Run } from './schemas';

const timestamp = z.string().min(1).max(64);
const int = z.number().int();
const count = int.min(0);
const n = z.number();

const VerificationV1 = z.strictObject({
  sha256_expected: z.string(),
  sha256_fetched: z.string().nullable(),
  bodies_checked: count,
  bodies_mismatched: count,
  non_2xx: count,
  socket_errors: count,
});

const LoadV1 = z.strictObject({
  requests: n,
  duration_s: n,
  requests_per_s: n,
  bytes: n,
  errors: z.strictObject({ connect: n, read: n, write: n, timeout: n, status: n }),
  latency_us: z.strictObject({ min: n, mean: n, stdev: n, max: n, p50: n, p75: n, p90: n, p99: n, p999: n, p9999: n }),
  verify: z.strictObject({ checked: n, mismatched: n, bad_status: n }).optional(),
});

const PointV1 = z.strictObject({
  seq: count,
  backend: z.string(),
  server: z.string(),
  connections: int,
  workers: int,
  repeat: int,
  status: z.enum(['ok', 'failed', 'skipped']),
  reason: z.string().nullable(),
  requests_per_s: n.nullable(),
  latency_p50_us: n.nullable(),
  latency_p90_us: n.nullable(),
  latency_p99_us: n.nullable(),
  latency_p999_us: n.nullable(),
  latency_max_us: n.nullable(),
  errors: int.nullable(),
  verified: z.boolean(),
  verification: VerificationV1.nullable(),
  load: LoadV1.nullable(),
  started_at: timestamp,
  ended_at: timestamp.nullable(),
});

export const RunDocV1 = z.strictObject({
  run: Run,
  environment: Environment.nullable(),
  points: z.array(PointV1),
  placement: z.array(Placement),
  artifacts: z.array(Artifact),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const matchesLegacy: Same<z.infer<typeof PointV1>, PointV1> = true;
void matchesLegacy;
