// The protocols the lab speaks and the settings each takes in a notebook (`protocol` of an
// experiment cell). Pure (zod only): the notebook schema and the renderer's form use it; the
// runtime side of each protocol (readiness, dataset, checks) is in its own module next to this.
import { z } from 'zod';

export const PROTOCOLS = ['http', 'redis', 'memcached'] as const;
export type ProtocolKind = (typeof PROTOCOLS)[number];

export const HttpSettings = z.strictObject({
  kind: z.literal('http'),
  /** Size in bytes of the one file every request fetches (random bytes, fresh for each run). */
  file_size: z
    .number()
    .int()
    .min(0)
    .max(1 << 30),
  keep_alive: z.boolean().default(true),
  /**
   * Absent: plain HTTP; on: HTTPS (TLS 1.2/1.3 with a self-signed certificate made for the run);
   * ktls: HTTPS with the kernel doing the record encryption (nginx `ssl_conf_command Options
   * KTLS` with sendfile; needs the kernel's `tls` module: a QEMU guest's Debian kernel has it).
   */
  tls: z.enum(['on', 'ktls']).optional(),
});

/** What a key-value load does: only GETs, only SETs, or a mix with `get_fraction` GETs. */
export const KV_WORKLOADS = ['get', 'set', 'mixed'] as const;

function kvSettings<K extends 'redis' | 'memcached'>(kind: K, maxKeySize: number) {
  return z.strictObject({
    kind: z.literal(kind),
    workload: z.enum(KV_WORKLOADS).default('get'),
    /** Share of GETs in a mixed workload (0.9: nine GETs for each SET). */
    get_fraction: z.number().min(0).max(1).default(0.9),
    /** Distinct keys; every GET reads a key the load generator SET before, and checks its value. */
    keys: z.number().int().min(1).max(10_000_000).default(10_000),
    key_size: z.number().int().min(8).max(maxKeySize).default(16),
    // At least 16: a value begins with its key's index and version, so a stale one is told apart.
    value_size: z
      .number()
      .int()
      .min(16)
      .max(1 << 20)
      .default(64),
  });
}

export const RedisSettings = kvSettings('redis', 1024);
// memcached's text protocol limits keys to 250 bytes.
export const MemcachedSettings = kvSettings('memcached', 250);

export const ProtocolSettings = z.discriminatedUnion('kind', [HttpSettings, RedisSettings, MemcachedSettings]);
export type ProtocolSettings = z.infer<typeof ProtocolSettings>;
export type HttpSettings = z.infer<typeof HttpSettings>;
export type KvSettings = z.infer<typeof RedisSettings> | z.infer<typeof MemcachedSettings>;

/** Settings a form starts from when a cell's server changes to one speaking `kind`. */
export function defaultProtocolSettings(kind: ProtocolKind): ProtocolSettings {
  if (kind === 'http') return { kind, file_size: 1024, keep_alive: true };
  return { kind, workload: 'get', get_fraction: 0.9, keys: 10_000, key_size: 16, value_size: 64 };
}

/** One line for tables and reports: "http, 1 KiB file, keep-alive"; "redis, mixed 90% GET, 10000 keys of 16+64 B". */
export function protocolText(p: ProtocolSettings, formatBytes: (n: number) => string): string {
  if (p.kind === 'http') return `${p.tls === undefined ? 'http' : p.tls === 'ktls' ? 'https (kTLS)' : 'https'}, ${formatBytes(p.file_size)} file, ${p.keep_alive ? 'keep-alive' : 'Connection: close'}`;
  const mix = p.workload === 'mixed' ? `mixed ${Math.round(p.get_fraction * 1000) / 10}% GET` : `${p.workload.toUpperCase()} only`;
  return `${p.kind}, ${mix}, ${p.keys} keys of ${p.key_size} B, values of ${formatBytes(p.value_size)}`;
}
