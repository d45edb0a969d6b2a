// kTLS (issue 14): with `"tls": "ktls"` nginx asks OpenSSL to hand the record layer to the kernel,
// which needs the kernel's `tls` module. Whether the kernel really encrypted the records is read
// from /proc/net/tls_stat before and after each point: a point where kTLS was asked for and the
// counters of kernel-encrypted connections did not grow says so in a warning, with the numbers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Host } from '../hosts/types';

export const TLS_STAT = '/proc/net/tls_stat';

/** /proc/net/tls_stat as name → count ("TlsTxSw 12" lines). */
export function parseTlsStat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/** What one point's counters say: the difference, and a warning when kTLS was asked for and not used. */
export function ktlsVerdict(before: Record<string, number> | null, after: Record<string, number> | null): { delta: Record<string, number> | null; warning: string | null } {
  if (!before || !after) {
    return { delta: null, warning: `kTLS was asked for but not used: the server's kernel has no ${TLS_STAT} (no kTLS, or its tls module is not loaded)` };
  }
  const delta = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
  const tx = (delta.TlsTxSw ?? 0) + (delta.TlsTxDevice ?? 0);
  if (tx > 0) return { delta, warning: null };
  const errors = Object.entries(delta)
    .filter(([k, v]) => /Error|Fail/i.test(k) && v > 0)
    .map(([k, v]) => `${k} +${v}`);
  return { delta, warning: `kTLS was asked for but not used: TlsTxSw and TlsTxDevice did not grow during the point${errors.length > 0 ? ` (${errors.join(', ')})` : ''}` };
}

/** The counters on the server's host (null: no such file there). */
export async function readTlsStat(host: Host | null): Promise<Record<string, number> | null> {
  let text: string | null;
  if (host) [text = null] = await host.readTextFiles([TLS_STAT]);
  else {
    try {
      text = readFileSync(TLS_STAT, 'utf8');
    } catch {
      text = null;
    }
  }
  return text === null ? null : parseTlsStat(text);
}

/** Loads the kernel's tls module on the server's host; returns what happened, in one line. */
export async function loadTlsModule(host: Host | null): Promise<string> {
  const argv = ['modprobe', 'tls'];
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  try {
    if (host) {
      const r = await host.exec(argv, { timeoutMs: 60_000, env });
      return r.code === 0 ? 'modprobe tls: loaded' : `modprobe tls failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop() ?? ''}`;
    }
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    return r.status === 0 ? 'modprobe tls: loaded' : `modprobe tls failed (exit ${r.status}): ${(r.error?.message ?? r.stderr).trim().split('\n').pop() ?? ''}`;
  } catch (e) {
    return `modprobe tls failed: ${(e as Error).message}`;
  }
}
