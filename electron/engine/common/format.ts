// Formatting shared by the report writers. Everything that reaches HTML passes through
// escapeHtml (text) or jsonForScript (data islands), so no input can become markup.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element text and in double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON to embed in `<script type="application/json">`. Escaping every `<` means the text can
 * contain neither `</script` nor `<!--`, the two sequences that end or confuse a script element;
 * JSON.parse turns `\u003c` back into `<`.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// Fixed locale: a report reads the same wherever it was generated.
const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

const DASH = '—';

function usable(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Requests per second with thousands separators: 123,457. */
export function formatRate(v: number | null | undefined): string {
  return usable(v) ? integerFormat.format(v) : DASH;
}

/** A count with thousands separators. */
export function formatCount(v: number | null | undefined): string {
  return usable(v) ? integerFormat.format(v) : DASH;
}

/** Latency given in microseconds, shown in the unit that keeps it readable: 87 µs, 1.25 ms, 2.10 s. */
export function formatLatencyUs(v: number | null | undefined): string {
  if (!usable(v)) return DASH;
  if (v < 10) return `${v.toFixed(1)} µs`;
  if (v < 1000) return `${Math.round(v)} µs`;
  if (v < 1_000_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} ms`;
  return `${(v / 1_000_000).toFixed(2)} s`;
}

/** Bytes in binary units: 0 B, 512 B, 4 KiB, 1.5 MiB. */
export function formatBytes(v: number | null | undefined): string {
  if (!usable(v)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = v;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 || Number.isInteger(n) ? 0 : 1;
  return `${n.toFixed(digits)} ${units[i]}`;
}

/** Seconds, trimmed: 30 s, 0.5 s, 1.25 s. */
export function formatSeconds(v: number | null | undefined): string {
  return usable(v) ? `${Number(v.toFixed(3))} s` : DASH;
}

/** `[]` and `[0, 1, 2, 3, 6]` as "none" and "0-3, 6": CPU sets as a kernel would print them. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const cpu of [...sorted.slice(1), Number.NaN]) {
    if (cpu === prev + 1) {
      prev = cpu;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = cpu;
    prev = cpu;
  }
  return parts.join(', ');
}

export { DASH };
