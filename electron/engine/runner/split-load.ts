// One point's load over several load hosts (issue 15): each generator gets its share of the
// connections (closed loop) and of the offered rate (open loop), all start their load at one
// agreed wall-clock time (saio-load --start-at) so they measure the same window, and their results
// are merged exactly: histograms bucket by bucket (common/histogram.ts, the same definition that
// merges repeats), counts and rates summed. Pure, apart from the clock read by the caller.
import { mergeHistograms, percentiles, readHistogram } from '../common/histogram';
import type { LoadSpec } from '../drivers/types';
import type { LoadResult, Percentiles } from '../model';

export type { GeneratorRecord } from '../model';

export interface LoadShare {
  host: string;
  connections: number;
  rate_per_s: number | null;
  /** redis/memcached: its own key space (a disjoint prefix), so generators never race on a key. */
  keys: number | null;
  key_prefix: string | null;
}

/**
 * Splits `connections` and the offered rate over `hosts`, in their order. Connections: each host
 * gets floor(C/n), the first C mod n hosts one more. Rate (whole requests/s, as saio-load takes
 * it): in proportion to each host's connections, rounded down, the requests/s left by rounding
 * going one each to the first hosts; so the shares add up to round(R) exactly and every connection
 * carries the same load within 1 request/s. Keys (redis, memcached) are split like connections,
 * each generator under its own prefix. Throws when a host would get no connection.
 */
export function splitLoad(spec: Pick<LoadSpec, 'connections' | 'rate_per_s' | 'protocol'>, hosts: readonly string[]): LoadShare[] {
  const n = hosts.length;
  const c = spec.connections;
  if (new Set(hosts).size !== n) throw new Error(`load hosts are named twice: ${hosts.join(', ')}`);
  if (c < n) throw new Error(`${c} connections cannot be split over ${n} load hosts (${hosts.join(', ')}): each needs at least one`);
  const conns = hosts.map((_, i) => Math.floor(c / n) + (i < c % n ? 1 : 0));
  const proportional = (total: number): number[] => {
    const base = conns.map((ci) => Math.floor((total * ci) / c));
    let left = total - base.reduce((a, b) => a + b, 0);
    for (let i = 0; left > 0; i = (i + 1) % n, left--) base[i] = (base[i] as number) + 1;
    return base;
  };
  const rates = spec.rate_per_s === null ? null : proportional(Math.round(spec.rate_per_s));
  const kv = spec.protocol.kind === 'redis' || spec.protocol.kind === 'memcached';
  const keys = kv && 'keys' in spec.protocol ? proportional(spec.protocol.keys) : null;
  if (keys && keys.some((k, i) => k < (conns[i] as number))) {
    throw new Error(`${'keys' in spec.protocol ? spec.protocol.keys : 0} keys cannot be split over ${n} load hosts with ${c} connections: each connection needs a key of its own`);
  }
  // Five characters, like saio-load's default "saio:", so keys keep as many digits.
  return hosts.map((host, i) => ({
    host,
    connections: conns[i] as number,
    rate_per_s: rates ? (rates[i] as number) : null,
    keys: keys ? (keys[i] as number) : null,
    key_prefix: kv ? `sg${String(i + 1).padStart(2, '0')}:` : null,
  }));
}

/** A point's LoadSpec narrowed to one generator's share. */
export function shareSpec(spec: LoadSpec, share: LoadShare, startAtMs: number | null): LoadSpec {
  const protocol = share.keys !== null && 'keys' in spec.protocol ? { ...spec.protocol, keys: share.keys } : spec.protocol;
  return { ...spec, protocol, connections: share.connections, rate_per_s: share.rate_per_s, key_prefix: share.key_prefix ?? undefined, start_at_ms: startAtMs ?? undefined };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** When a saio-load document says its load began on its host's wall clock (Unix ms), or null. */
export function t0UnixMs(stdout: string): number | null {
  const m = /"t0_unix_ns":\s*(\d+)/.exec(stdout);
  return m ? Number(BigInt(m[1] as string) / 1_000_000n) : null;
}

/**
 * The generators' results as one: requests, bytes, errors and checks summed; achieved and offered
 * rates summed (the windows coincide); latency, service time and schedule lag from the exact merge
 * of their histograms; a generator's doubts kept, naming it. Windows that began further apart than
 * `maxSkewMs` add a warning (the sum then mixes different moments).
 */
export function mergeLoadResults(parts: readonly { share: LoadShare; result: LoadResult; window_start_ms: number | null }[], maxSkewMs: number): LoadResult {
  const first = parts[0];
  if (!first) throw new Error('no generator result to merge');
  const rs = parts.map((p) => p.result);
  if (new Set(rs.map((r) => r.loop)).size > 1) throw new Error('the generators ran different loops (open and closed)');
  const missing = parts.filter((p) => p.result.histogram === null).map((p) => p.share.host);
  if (missing.length > 0) throw new Error(`the generator on ${missing.join(', ')} wrote no histogram: its latencies cannot be merged exactly`);
  const merged = mergeHistograms(rs.map((r) => readHistogram(r.histogram)));
  const bits = merged.sub_bucket_bits;
  const add = (pick: (r: LoadResult) => Record<string, number>) =>
    rs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(pick(r))) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {});
  const pct = (h: typeof merged.latency, had: boolean): Percentiles | null => (had ? percentiles(h, bits) : null);
  const starts = parts.map((p) => p.window_start_ms).filter((t): t is number => t !== null);
  const skew = starts.length === parts.length ? Math.max(...starts) - Math.min(...starts) : null;
  const warnings = parts.flatMap((p) => p.result.warnings.map((w) => `${p.share.host}: ${w}`));
  if (skew === null) warnings.push('the generators did not say when their windows began: the sum may mix different moments');
  else if (skew > maxSkewMs) warnings.push(`the generators' measured windows began ${skew} ms apart (more than ${maxSkewMs} ms): the sum mixes different moments`);
  const open = first.result.loop === 'open';
  const verified = rs.every((r) => r.verified === null) ? null : sum(rs.map((r) => r.verified ?? 0));
  const cpu = rs.every((r) => r.cpu_s === null) ? null : { total: sum(rs.map((r) => r.cpu_s?.total ?? 0)), threads: rs.flatMap((r) => r.cpu_s?.threads ?? []) };
  return {
    driver: first.result.driver,
    loop: first.result.loop,
    duration_s: Math.max(...rs.map((r) => r.duration_s)),
    requests: sum(rs.map((r) => r.requests)),
    requests_per_s: sum(rs.map((r) => r.requests_per_s)),
    offered_per_s: open ? sum(rs.map((r) => r.offered_per_s ?? 0)) : null,
    bytes: sum(rs.map((r) => r.bytes)),
    errors: add((r) => r.errors),
    verified,
    mismatched: sum(rs.map((r) => r.mismatched)),
    mismatches: add((r) => r.mismatches),
    latency_us: pct(
      merged.latency,
      rs.some((r) => r.latency_us !== null),
    ),
    service_us: pct(
      merged.service,
      rs.some((r) => r.service_us !== null),
    ),
    schedule_lag_us: pct(
      merged.schedule_lag,
      rs.some((r) => r.schedule_lag_us !== null),
    ),
    cpu_s: cpu,
    histogram: merged as unknown as LoadResult['histogram'],
    warnings,
    generators: parts.map((p) => ({
      host: p.share.host,
      connections: p.share.connections,
      rate_per_s: p.share.rate_per_s,
      requests: p.result.requests,
      requests_per_s: p.result.requests_per_s,
      offered_per_s: p.result.offered_per_s,
      errors: sum(Object.values(p.result.errors)),
      mismatched: p.result.mismatched,
      window_start_ms: p.window_start_ms,
    })),
  };
}
