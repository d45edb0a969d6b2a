// The saio-load driver: the lab's own load generator (native/build/saio-load, built by
// `npm run build`). One invocation per point: its --warmup runs first on the same connections,
// then the measured phase; every response is checked (HTTP bodies against --expect-file, redis
// and memcached values against what it SET) and counted in its --json document.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forChildProcess, repoRoot } from '../../paths';
import type { LoadSpec } from '../types';
import { settingsOf, type Driver, type Invocation } from '../types';
import { parseSaioLoadJson } from './json';

export { parseSaioLoadJson } from './json';

export function saioLoadPath(): string {
  return forChildProcess(join(repoRoot(), 'native', 'build', 'saio-load'));
}

/** Seconds as saio-load reads them: a plain decimal, no exponent, no trailing zeros. */
export function secondsArg(s: number): string {
  if (!Number.isFinite(s) || s < 0) throw new RangeError(`saio-load: seconds must be a number ≥ 0, got ${s}`);
  return String(Number(s.toFixed(3)));
}

/** The flags that say what to load: the protocol's settings in saio-load's words. */
export function workloadArgs(spec: LoadSpec): string[] {
  const p = spec.protocol;
  if (p.kind === 'http') {
    if (spec.dataset.bodyFile === null) throw new Error('saio-load: no file to check HTTP bodies against');
    return [p.keep_alive ? '--keepalive' : '--close', '--expect-file', spec.dataset.bodyFile];
  }
  const workload = p.workload === 'mixed' ? `mixed:${p.get_fraction}` : p.workload;
  return ['--workload', workload, '--keys', String(p.keys), '--key-size', String(p.key_size), '--value-size', String(p.value_size)];
}

export function saioLoadArgv(spec: LoadSpec): string[] {
  const s = settingsOf(spec.settings, 'saio-load');
  if (!(Number.isInteger(spec.connections) && spec.connections > 0)) throw new RangeError(`saio-load: connections must be a positive integer, got ${spec.connections}`);
  if (!(spec.duration_s > 0)) throw new RangeError(`saio-load: duration_s must be positive, got ${spec.duration_s}`);
  const loop = spec.rate_per_s === null ? ['--pipeline', String(s.pipeline)] : ['-R', String(Math.round(spec.rate_per_s)), '--arrivals', s.arrivals, '--depth', String(s.depth)];
  return [
    saioLoadPath(),
    '-t',
    String(Math.min(s.threads, spec.connections)),
    '-c',
    String(spec.connections),
    '-d',
    secondsArg(spec.duration_s),
    '--warmup',
    secondsArg(spec.warmup_s),
    '--timeout',
    secondsArg(s.timeout_s),
    ...loop,
    ...workloadArgs(spec),
    ...(spec.key_prefix !== undefined ? ['--key-prefix', spec.key_prefix] : []),
    ...(spec.start_at_ms !== undefined ? ['--start-at', String(Math.round(spec.start_at_ms))] : []),
    '--json',
    spec.endpoint.url,
  ];
}

/** What saio-load says about its version, with the binary's sha256 (it is built from this tree). */
function parseVersion(output: string): string {
  const said = /saio-load[ /v]*([0-9][^\s,;)]*)/i.exec(output)?.[1] ?? 'unknown';
  const path = saioLoadPath();
  let digest = 'missing';
  try {
    digest = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  } catch {
    // reported by unavailable()
  }
  const text = `saio-load ${said} (binary sha256 ${digest})`;
  return text;
}

export const saioLoadDriver: Driver = {
  kind: 'saio-load',
  versionArgv: () => [saioLoadPath(), '--version'],
  parseVersion,
  unavailable() {
    const path = saioLoadPath();
    return existsSync(path) ? null : `${path} is not built: run \`npm run build\` (it builds native/ with make)`;
  },
  invocations(spec: LoadSpec): Invocation[] {
    return [{ name: 'driver', purpose: 'measure', argv: saioLoadArgv(spec), liveStdout: false }];
  },
  // Open loop keeps up to `depth` requests in flight per connection: the probe pipelines as many.
  probeSettings(settings) {
    const s = settingsOf(settings, 'saio-load');
    return { ...s, pipeline: Math.max(s.pipeline, s.depth) };
  },
  parse: parseSaioLoadJson,
};
