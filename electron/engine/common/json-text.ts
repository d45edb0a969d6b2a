// JSON for people and for machines at once: objects indented one key a line, arrays of plain
// values (numbers, strings, [index, count] pairs) on one line. A latency histogram of a few
// thousand buckets stays a few lines instead of ten thousand, and the text parses to exactly what
// JSON.stringify would have written. Pure.

function flat(v: unknown): boolean {
  return v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
}

function write(v: unknown, indent: string): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.every(flat)) return JSON.stringify(v);
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => `${inner}${write(x, inner) ?? 'null'}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => [k, write(x, inner)] as const)
    .filter((e): e is readonly [string, string] => e[1] !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${x}`).join(',\n')}\n${indent}}`;
}

/** `value` as indented JSON text with flat arrays kept on one line, newline-terminated. */
export function jsonText(value: unknown): string {
  return `${write(value, '') ?? 'null'}\n`;
}
