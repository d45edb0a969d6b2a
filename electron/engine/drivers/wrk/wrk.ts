// The wrk load driver (wrk 4.x). Every run loads summary.lua, whose JSON line carries exact
// counts and the p99.9 / p99.99 latencies wrk's text report lacks; the text report is parsed too
// and cross-checked against it, so a mix-up of outputs or a truncated capture is caught.
import { join } from 'node:path';
import type { LoadResult } from '../../model';
import { forChildProcess, repoRoot } from '../../paths';
import { DriverOutputError, settingsOf, type Driver, type Invocation, type LoadSpec } from '../types';
import { parseJsonLine, type WrkJsonSummary } from './json-line';
import { parseWrkText, type WrkTextReport } from './text-report';

export { parseWrkText, type WrkTextReport } from './text-report';
export { parseJsonLine, type WrkJsonSummary } from './json-line';

/** summary.lua stays in the source tree (tsc does not copy it), found from the repo root. */
export function summaryScriptPath(): string {
  return forChildProcess(join(repoRoot(), 'electron', 'engine', 'drivers', 'wrk', 'summary.lua'));
}

/**
 * wrk reads -d and --timeout as an unsigned integer with an optional unit s/m/h ("2", "2s",
 * "1m"); "1.5s" and "1500ms" are usage errors and 0 is refused (-d) or times out every request
 * (--timeout). So a fractional value is rounded up to whole seconds: a phase never runs shorter,
 * nor a timeout fires earlier, than asked. The measured duration is reported by wrk anyway.
 */
export function wholeSeconds(seconds: number): number {
  // The epsilon keeps 2.0000000001 (float noise) from becoming 3.
  return Math.max(1, Math.ceil(seconds - 1e-9));
}

function checkPositive(name: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`wrk: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** One wrk phase: `verifyBodyFile` set makes summary.lua compare every response body with it. */
export interface WrkPhase {
  url: string;
  connections: number;
  threads: number;
  duration_s: number;
  timeout_s: number;
  keep_alive: boolean;
  verify_body_file?: string;
}

export function wrkArgv(spec: WrkPhase): string[] {
  checkPositive('connections', spec.connections, true);
  checkPositive('threads', spec.threads, true);
  checkPositive('duration_s', spec.duration_s, false);
  checkPositive('timeout_s', spec.timeout_s, false);
  // wrk refuses more threads than connections ("number of connections must be >= threads").
  // Note that wrk gives each thread floor(connections / threads) connections.
  const threads = Math.min(spec.threads, spec.connections);
  return [
    'wrk',
    '-t',
    String(threads),
    '-c',
    String(spec.connections),
    '-d',
    `${wholeSeconds(spec.duration_s)}s`,
    '--timeout',
    `${wholeSeconds(spec.timeout_s)}s`,
    '--latency',
    '-s',
    summaryScriptPath(),
    ...(spec.keep_alive ? [] : ['-H', 'Connection: close']),
    spec.url,
    // After "--", wrk hands the remaining arguments to the script's init(args).
    ...(spec.verify_body_file === undefined ? [] : ['--', spec.verify_body_file]),
  ];
}

/**
 * Checking bodies costs wrk ~13% (a Lua hook per response), so by default every response of the
 * warm-up phase (same connections, same load) is checked and the measured phase is left alone;
 * verify "all" (or no warm-up) checks the measured phase too.
 */
function wrkInvocations(spec: LoadSpec): Invocation[] {
  const settings = settingsOf(spec.settings, 'wrk');
  if (spec.protocol.kind !== 'http') throw new Error(`wrk speaks http only, not ${spec.protocol.kind}`);
  if (spec.rate_per_s !== null) throw new Error('wrk is closed loop only: it cannot offer a fixed rate');
  const body = spec.dataset.bodyFile;
  if (body === null) throw new Error('wrk: no file to check bodies against');
  const phase: WrkPhase = {
    url: spec.endpoint.url,
    connections: spec.connections,
    threads: settings.threads,
    duration_s: spec.duration_s,
    timeout_s: settings.timeout_s,
    keep_alive: spec.protocol.keep_alive,
  };
  const out: Invocation[] = [];
  if (spec.warmup_s > 0) out.push({ name: 'driver-warmup', purpose: 'warmup', argv: wrkArgv({ ...phase, duration_s: spec.warmup_s, verify_body_file: body }) });
  const verifyMeasured = settings.verify === 'all' || spec.warmup_s === 0;
  out.push({ name: 'driver', purpose: 'measure', argv: wrkArgv(verifyMeasured ? { ...phase, verify_body_file: body } : phase) });
  return out;
}

/** "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" → "debian/4.1.0-3+b2". */
function parseWrkVersion(output: string): string {
  const m = /^wrk (\S+)/m.exec(output);
  if (!m?.[1]) throw new DriverOutputError('no "wrk <version>" line in the output of wrk -v', output);
  return m[1];
}

function crossCheck(text: WrkTextReport, json: WrkJsonSummary, stdout: string): void {
  const pairs: [string, number, number][] = [
    ['requests', text.requests, json.requests],
    ['connect errors', text.errors.connect, json.errors.connect],
    ['read errors', text.errors.read, json.errors.read],
    ['write errors', text.errors.write, json.errors.write],
    ['timeouts', text.errors.timeout, json.errors.timeout],
    ['non-2xx/3xx responses', text.errors.status, json.errors.status],
  ];
  for (const [what, fromText, fromJson] of pairs) {
    if (fromText !== fromJson) {
      throw new DriverOutputError(`wrk's text report and its SAIO-WRK-JSON line disagree on ${what}: ${fromText} vs ${fromJson}`, stdout);
    }
  }
}

function toLoadResult(json: WrkJsonSummary): LoadResult {
  const duration_s = json.duration_us / 1e6;
  const l = json.latency;
  return {
    driver: 'wrk',
    loop: 'closed',
    requests: json.requests,
    duration_s,
    requests_per_s: duration_s > 0 ? json.requests / duration_s : 0,
    offered_per_s: null,
    bytes: json.bytes,
    errors: { ...json.errors },
    // summary.lua's `checked` counts every body it compared, `mismatched` the wrong ones among
    // them; its bad_status counts the non-2xx responses wrk already counts in errors.status.
    verified: json.verify ? json.verify.checked - json.verify.mismatched : null,
    mismatched: json.verify?.mismatched ?? 0,
    mismatches: json.verify?.mismatched ? { body: json.verify.mismatched } : {},
    latency_us: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, p9999: l.p9999, max: l.max, min: l.min, mean: l.mean, stdev: l.stdev, p75: l.p75 },
    service_us: null,
    schedule_lag_us: null,
    cpu_s: null,
    histogram: null,
    warnings: [],
  };
}

/** Parse a run made with summary.lua: its JSON line is required and must agree with the text. */
function parseWrkRun(stdout: string): LoadResult {
  // Text first: on empty or truncated output its errors say more than "no JSON line".
  const text = parseWrkText(stdout);
  const json = parseJsonLine(stdout);
  crossCheck(text, json, stdout);
  return toLoadResult(json);
}

export const wrkDriver: Driver = {
  kind: 'wrk',
  versionArgv: () => ['wrk', '-v'],
  parseVersion: parseWrkVersion,
  unavailable: () => null,
  invocations: wrkInvocations,
  parse: parseWrkRun,
};
