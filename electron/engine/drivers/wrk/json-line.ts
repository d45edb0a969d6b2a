// The one line summary.lua's done() prints: "SAIO-WRK-JSON {...}", exact counts and latencies.
import { z } from 'zod';
import { DriverOutputError } from '../types';

export const JSON_LINE_PREFIX = 'SAIO-WRK-JSON ';

const count = z.number().int().min(0);
const micros = z.number().min(0);

const WrkJsonSummary = z.object({
  requests: count,
  duration_us: count,
  bytes: count,
  errors: z.object({ connect: count, read: count, write: count, status: count, timeout: count }),
  latency: z.object({
    min: micros,
    mean: micros,
    stdev: micros,
    max: micros,
    p50: micros,
    p75: micros,
    p90: micros,
    p99: micros,
    p999: micros,
    p9999: micros,
  }),
  /** Present only when summary.lua was given an expected-body file. */
  verify: z.object({ checked: count, mismatched: count, bad_status: count }).optional(),
});

export type WrkJsonSummary = z.infer<typeof WrkJsonSummary>;

export function parseJsonLine(stdout: string): WrkJsonSummary {
  const lines = stdout.split('\n').filter((l) => l.startsWith(JSON_LINE_PREFIX));
  if (lines.length === 0) {
    throw new DriverOutputError(`wrk output has no "${JSON_LINE_PREFIX.trim()}" line: wrk did not run summary.lua's done() (no -s summary.lua, a Lua error, or output cut short)`, stdout);
  }
  if (lines.length > 1) {
    throw new DriverOutputError(`wrk output has ${lines.length} "${JSON_LINE_PREFIX.trim()}" lines, expected one`, stdout);
  }
  const text = (lines[0] ?? '').slice(JSON_LINE_PREFIX.length);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DriverOutputError(`wrk's "${JSON_LINE_PREFIX.trim()}" line is not valid JSON: ${(e as Error).message}`, stdout);
  }
  const parsed = WrkJsonSummary.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new DriverOutputError(`wrk's "${JSON_LINE_PREFIX.trim()}" line has unexpected content: ${issues}`, stdout);
  }
  return parsed.data;
}
