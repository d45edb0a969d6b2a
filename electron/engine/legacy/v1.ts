// What saio-lab recorded before issue 11 (store schema 1, bundle version 1), in today's shapes.
// Format 1 knew one driver (wrk, closed loop) and one protocol (HTTP): a point's load result was
// wrk's summary, its verification was about bodies and a sha256. The store's migration 2 and the
// bundle reader both convert through here, so an old point reads the same wherever it comes from.
import { configKey } from '../common/axes';
import type { LoadResult, PointRecord, VerificationRecord } from '../model';

/** LoadResult as format 1 stored it (wrk through summary.lua). */
export interface LoadResultV1 {
  requests: number;
  duration_s: number;
  requests_per_s: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  latency_us: { min: number; mean: number; stdev: number; max: number; p50: number; p75: number; p90: number; p99: number; p999: number; p9999: number };
  verify?: { checked: number; mismatched: number; bad_status: number };
}

export interface VerificationV1 {
  sha256_expected: string;
  sha256_fetched: string | null;
  bodies_checked: number;
  bodies_mismatched: number;
  non_2xx: number;
  socket_errors: number;
}

/** The check format 1 ran after each load, under today's name. */
export const HTTP_AFTER_CHECK = 'sha256 of the body fetched after the load';

export function loadFromV1(l: LoadResultV1): LoadResult {
  return {
    driver: 'wrk',
    loop: 'closed',
    duration_s: l.duration_s,
    requests: l.requests,
    requests_per_s: l.requests_per_s,
    offered_per_s: null,
    bytes: l.bytes,
    errors: { ...l.errors },
    // summary.lua counted bodies only when given the file (checked: all it compared, mismatched
    // among them); its bad_status is wrk's non-2xx count over the same responses, already in
    // errors.status.
    verified: l.verify ? l.verify.checked - l.verify.mismatched : null,
    mismatched: l.verify?.mismatched ?? 0,
    mismatches: l.verify?.mismatched ? { body: l.verify.mismatched } : {},
    latency_us: { ...l.latency_us },
    service_us: null,
    schedule_lag_us: null,
    cpu_s: null,
    histogram: null,
    warnings: [],
  };
}

export function verificationFromV1(v: VerificationV1): VerificationRecord {
  return {
    protocol: 'http',
    responses_checked: v.bodies_checked,
    responses_mismatched: v.bodies_mismatched,
    bad_responses: v.non_2xx,
    socket_errors: v.socket_errors,
    after: { check: HTTP_AFTER_CHECK, expected: v.sha256_expected, found: v.sha256_fetched, ok: v.sha256_fetched === v.sha256_expected },
  };
}

/** A format-1 point (without id and run id), as today's point: closed loop, measured, keyed. */
export interface PointV1 extends Omit<
  PointRecord,
  'id' | 'run_id' | 'kind' | 'config' | 'rate_per_s' | 'rate_of_capacity' | 'offered_per_s' | 'warnings' | 'load' | 'verification' | 'cpu' | 'requests_per_cpu_s'
> {
  load: LoadResultV1 | null;
  verification: VerificationV1 | null;
}

export function pointFromV1(p: PointV1): Omit<PointRecord, 'id' | 'run_id'> {
  return {
    ...p,
    kind: 'measure',
    config: configKey({ workers: p.workers, connections: p.connections, rate: null }),
    rate_per_s: null,
    rate_of_capacity: null,
    offered_per_s: null,
    load: p.load === null ? null : loadFromV1(p.load),
    verification: p.verification === null ? null : verificationFromV1(p.verification),
    warnings: [],
    cpu: null,
    requests_per_cpu_s: null,
  };
}
