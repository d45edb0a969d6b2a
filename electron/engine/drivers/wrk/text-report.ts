// wrk's own human-readable report (src/wrk.c main()), read back into numbers. Works on the
// output of any wrk 4.x run, with or without our summary.lua.
import { DriverOutputError } from '../types';
import { binaryToBytes, metricToNumber, percentToNumber, timeToMicroseconds } from './units';

/** One "Thread Stats" row: mean, standard deviation, maximum and share within one stdev. */
export interface WrkThreadStats {
  mean: number;
  stdev: number;
  max: number;
  /** Percentage of samples within mean ± stdev; null when wrk printed "-nan%" (no samples). */
  within_stdev_pct: number | null;
}

/**
 * What wrk's text report says. Values printed with a unit (latencies, durations, bytes) are
 * rounded by wrk to 2 decimals of that unit; counts (requests, errors) are exact.
 */
export interface WrkTextReport {
  url: string;
  /** The requested duration, from "Running 2s test @ …". */
  test_duration_s: number;
  threads: number;
  connections: number;
  latency_us: WrkThreadStats;
  /** Requests per second of each thread, sampled by wrk every 100 ms. */
  thread_requests_per_s: WrkThreadStats;
  /**
   * Present only when wrk ran with --latency. wrk prints these four percentiles and no others,
   * so the type has no p99.9 / p99.99: only summary.lua's JSON line carries those.
   */
  latency_distribution_us: { p50: number; p75: number; p90: number; p99: number } | null;
  requests: number;
  /** Measured duration, from "N requests in 2.10s, …" (rounded by wrk). */
  duration_s: number;
  /** Bytes read, from "…, 30.08MB read" (rounded by wrk). */
  bytes: number;
  /** Socket errors (absent line = none) and non-2xx/3xx responses (status). */
  errors: { connect: number; read: number; write: number; timeout: number; status: number };
  requests_per_s: number;
  transfer_bytes_per_s: number;
}

const PERCENTILE_ROWS = ['50', '75', '90', '99'] as const;

export function parseWrkText(stdout: string): WrkTextReport {
  if (stdout.trim() === '') throw new DriverOutputError('wrk printed nothing on stdout', stdout);
  const lines = stdout.split('\n');
  const find = (pattern: RegExp, what: string): RegExpExecArray => {
    for (const line of lines) {
      const m = pattern.exec(line);
      if (m) return m;
    }
    throw new DriverOutputError(`wrk output has no ${what} line (truncated or not wrk's report?)`, stdout);
  };
  const read = <T>(value: T | undefined, token: string, what: string): T => {
    if (value === undefined) throw new DriverOutputError(`cannot read "${token}" in wrk's ${what}`, stdout);
    return value;
  };
  const group = (m: RegExpExecArray, i: number): string => m[i] ?? '';

  const running = find(/^Running (\S+) test @ (\S+)\s*$/, '"Running <T> test @ <url>"');
  const shape = find(/^\s*(\d+) threads and (\d+) connections\s*$/, '"<N> threads and <N> connections"');

  const statsRow = (label: string, value: (t: string) => number | undefined): WrkThreadStats => {
    const what = `"${label}" thread stats`;
    const m = find(new RegExp(`^\\s*${label}\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s*$`), what);
    const [mean, stdev, max, within] = [group(m, 1), group(m, 2), group(m, 3), group(m, 4)];
    return {
      mean: read(value(mean), mean, what),
      stdev: read(value(stdev), stdev, what),
      max: read(value(max), max, what),
      within_stdev_pct: read(percentToNumber(within), within, what),
    };
  };

  const requestsLine = find(/^\s*(\d+) requests in (\S+), (\S+) read\s*$/, '"<N> requests in <T>, <B> read"');
  const rate = find(/^Requests\/sec:\s+(\d+(?:\.\d+)?)\s*$/, '"Requests/sec:"');
  const transfer = find(/^Transfer\/sec:\s+(\S+)\s*$/, '"Transfer/sec:"');

  return {
    url: group(running, 2),
    test_duration_s: read(timeToMicroseconds(group(running, 1)), group(running, 1), '"Running" line') / 1e6,
    threads: Number(group(shape, 1)),
    connections: Number(group(shape, 2)),
    latency_us: statsRow('Latency', timeToMicroseconds),
    thread_requests_per_s: statsRow('Req/Sec', metricToNumber),
    latency_distribution_us: latencyDistribution(lines, stdout),
    requests: Number(group(requestsLine, 1)),
    duration_s: read(timeToMicroseconds(group(requestsLine, 2)), group(requestsLine, 2), '"requests in" line') / 1e6,
    bytes: read(binaryToBytes(group(requestsLine, 3)), group(requestsLine, 3), '"requests in" line'),
    errors: errorCounts(lines),
    requests_per_s: Number(group(rate, 1)),
    transfer_bytes_per_s: read(binaryToBytes(group(transfer, 1)), group(transfer, 1), '"Transfer/sec" line'),
  };
}

// The four rows after "Latency Distribution"; all four or the output is cut short.
function latencyDistribution(lines: string[], stdout: string): WrkTextReport['latency_distribution_us'] {
  const header = lines.findIndex((l) => /^\s*Latency Distribution\s*$/.test(l));
  if (header < 0) return null;
  const values: number[] = [];
  for (const [i, percent] of PERCENTILE_ROWS.entries()) {
    const line = lines[header + 1 + i] ?? '';
    const m = /^\s*(\d+)%\s+(\S+)\s*$/.exec(line);
    const us = m && m[1] === percent ? timeToMicroseconds(m[2] ?? '') : undefined;
    if (us === undefined) {
      throw new DriverOutputError(`wrk's Latency Distribution has no readable ${percent}% row (got "${line.trim()}")`, stdout);
    }
    values.push(us);
  }
  const [p50 = 0, p75 = 0, p90 = 0, p99 = 0] = values;
  return { p50, p75, p90, p99 };
}

// wrk prints these two lines only when a count is non-zero.
function errorCounts(lines: string[]): WrkTextReport['errors'] {
  const errors = { connect: 0, read: 0, write: 0, timeout: 0, status: 0 };
  for (const line of lines) {
    const socket = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$/.exec(line);
    if (socket) {
      errors.connect = Number(socket[1]);
      errors.read = Number(socket[2]);
      errors.write = Number(socket[3]);
      errors.timeout = Number(socket[4]);
    }
    const status = /^\s*Non-2xx or 3xx responses: (\d+)\s*$/.exec(line);
    if (status) errors.status = Number(status[1]);
  }
  return errors;
}
