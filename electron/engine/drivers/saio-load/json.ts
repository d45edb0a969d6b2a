// saio-load's --json document as a LoadResult (native/README.md, "The JSON document"). Its
// top-level keys are the contract between native/ and the lab (issue 11): requests_per_s
// (achieved), offered_per_s (open loop), requests, verified, mismatched, errors, bytes,
// latency_us and service_us (each p50, p90, p99, p999, p9999, max; null without samples),
// schedule_lag_us, cpu_s, histogram, warnings. Anything missing or of the wrong type is an error
// naming the key: a point is never recorded from half a document. The histogram is kept verbatim.
import { z } from 'zod';
import type { JsonValue, LoadResult, Percentiles } from '../../model';
import { DriverOutputError } from '../types';

const n = z.number().finite();
const count = n.min(0);
const maybe = n.nullable();

/** Percentiles in µs; every value null when the phase had no sample (no request completed, or no schedule in closed loop). */
const PercentilesDoc = z.looseObject({ p50: maybe, p90: maybe, p99: maybe, p999: maybe, p9999: maybe, max: maybe });

/** Errors by kind, or one total. */
const ErrorsDoc = z.union([count, z.record(z.string(), count)]);

/** Total CPU seconds, one number per thread, or an object with both (and/or user/sys). */
const CpuDoc = z.union([
  count,
  z.array(count),
  z.looseObject({ total: count.optional(), threads: z.array(z.union([count, z.looseObject({ user: count, sys: count })])).optional(), user: count.optional(), sys: count.optional() }),
]);

const WarningsDoc = z.array(z.union([z.string(), z.looseObject({ message: z.string() })]));

export const SaioLoadDoc = z.looseObject({
  mode: z.enum(['closed', 'open']).optional(),
  duration_s: count.optional(),
  requests_per_s: count,
  offered_per_s: count.nullable().optional(),
  requests: count,
  verified: count,
  mismatched: count,
  mismatches: z.record(z.string(), count).optional(),
  errors: ErrorsDoc,
  /** Bytes received, or {sent, received}. */
  bytes: z.union([count, z.looseObject({ sent: count, received: count })]),
  latency_us: PercentilesDoc,
  service_us: PercentilesDoc.nullable().optional(),
  schedule_lag_us: PercentilesDoc.nullable().optional(),
  cpu_s: CpuDoc.nullable().optional(),
  histogram: z.json().optional(),
  warnings: WarningsDoc.optional(),
});

/** Null when the phase had no sample; every value is there otherwise (a half-filled set is an error). */
function percentiles(p: z.infer<typeof PercentilesDoc> | null | undefined, key: string, stdout: string): Percentiles | null {
  if (!p) return null;
  const v = [p.p50, p.p90, p.p99, p.p999, p.p9999, p.max];
  if (v.every((x) => x === null)) return null;
  if (v.some((x) => x === null)) throw new DriverOutputError(`saio-load's ${key} has some percentiles and not others: ${JSON.stringify(p)}`, stdout);
  return { p50: p.p50!, p90: p.p90!, p99: p.p99!, p999: p.p999!, p9999: p.p9999!, max: p.max! };
}

function cpu(doc: z.infer<typeof CpuDoc> | null | undefined): LoadResult['cpu_s'] {
  if (doc === null || doc === undefined) return null;
  if (typeof doc === 'number') return { total: doc, threads: [] };
  if (Array.isArray(doc)) return { total: doc.reduce((a, b) => a + b, 0), threads: doc };
  const threads = (doc.threads ?? []).map((t) => (typeof t === 'number' ? t : t.user + t.sys));
  const total = doc.total ?? (doc.user !== undefined || doc.sys !== undefined ? (doc.user ?? 0) + (doc.sys ?? 0) : threads.reduce((a, b) => a + b, 0));
  return { total, threads };
}

/** The JSON document in saio-lab's capture of stdout: the whole text, or from its first line that opens an object. */
function documentText(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    const at = text.search(/^\{/m);
    if (at > 0) {
      try {
        return JSON.parse(text.slice(at));
      } catch {
        // fall through to the error below
      }
    }
  }
  throw new DriverOutputError(text === '' ? 'saio-load printed nothing on stdout (expected its --json document)' : 'saio-load did not print one JSON document on stdout (its --json output)', stdout);
}

export function parseSaioLoadJson(stdout: string): LoadResult {
  const parsed = SaioLoadDoc.safeParse(documentText(stdout));
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '$'}: ${i.message}`);
    throw new DriverOutputError(`saio-load's JSON document is not what the lab reads: ${first.join('; ')}`, stdout);
  }
  const d = parsed.data;
  const open = d.mode ? d.mode === 'open' : typeof d.offered_per_s === 'number' && d.offered_per_s > 0;
  const errors = typeof d.errors === 'number' ? { total: d.errors } : { ...d.errors };
  return {
    driver: 'saio-load',
    loop: open ? 'open' : 'closed',
    duration_s: d.duration_s ?? (d.requests_per_s > 0 ? d.requests / d.requests_per_s : 0),
    requests: d.requests,
    requests_per_s: d.requests_per_s,
    offered_per_s: open ? (d.offered_per_s ?? null) : null,
    bytes: typeof d.bytes === 'number' ? d.bytes : d.bytes.received,
    errors,
    verified: d.verified,
    mismatched: d.mismatched,
    mismatches: { ...(d.mismatches ?? {}) },
    latency_us: percentiles(d.latency_us, 'latency_us', stdout),
    service_us: percentiles(d.service_us, 'service_us', stdout),
    schedule_lag_us: percentiles(d.schedule_lag_us, 'schedule_lag_us', stdout),
    cpu_s: cpu(d.cpu_s),
    histogram: (d.histogram ?? null) as JsonValue | null,
    warnings: (d.warnings ?? []).map((w) => (typeof w === 'string' ? w : w.message)),
  };
}
