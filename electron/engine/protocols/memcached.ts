// memcached's text protocol: ready when `version` answers VERSION; after the load, set of a fresh
// random key, get and delete on one connection must answer STORED, the exact value and DELETED.
import { createHash, randomBytes } from 'node:crypto';
import type { AfterCheck } from '../model';
import { exchange } from './exchange';
import { emptyDataset, pollUntilReady, type ProtocolModule } from './types';

const CHECK = 'set of a fresh random key, then get and delete, after the load';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
// A reply line that ends the exchange early: the server refused something.
const REFUSED = /(^|\r\n)(ERROR|CLIENT_ERROR[^\r\n]*|SERVER_ERROR[^\r\n]*)\r\n/;

/** The three replies of set / get / delete, as text lines; the value (hex text) replaced by its sha256. */
export function summarizeReply(text: string, key: string): string {
  const m = new RegExp(`^(\\S+)\\r\\nVALUE ${key} 0 (\\d+)\\r\\n([0-9a-f]*)\\r\\nEND\\r\\n(\\S+)\\r\\n$`).exec(text);
  if (!m) return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
  return `${m[1]}, ${sha(m[3] ?? '')}, ${m[4]}`;
}

export const memcached: ProtocolModule = {
  kind: 'memcached',
  prepare: () => emptyDataset,
  endpoint: (port, _dataset, address = '127.0.0.1') => ({ url: `memcached://${address}:${port}`, host: address, port }),
  waitReady(endpoint, _dataset, timeoutMs, alive) {
    return pollUntilReady(`"version" on ${endpoint.url}`, timeoutMs, alive, async () => {
      const r = (await exchange(endpoint.host, endpoint.port, Buffer.from('version\r\n'), (b) => b.includes('\r\n'), 1000)).toString('latin1');
      if (!r.startsWith('VERSION ')) throw new Error(`"version" answered ${JSON.stringify(r.slice(0, 80))}`);
    });
  },
  async checkAfter(endpoint, _dataset, timeoutMs): Promise<AfterCheck> {
    const key = `saio-lab-check-${randomBytes(8).toString('hex')}`;
    // Hex text: binary-safe either way, and no byte of it can look like a reply line.
    const value = randomBytes(512).toString('hex');
    const request = `set ${key} 0 0 ${value.length}\r\n${value}\r\nget ${key}\r\ndelete ${key}\r\n`;
    const whole = `STORED\r\nVALUE ${key} 0 ${value.length}\r\n${value}\r\nEND\r\nDELETED\r\n`;
    const expected = `STORED, ${sha(value)}, DELETED`;
    let found: string | null;
    try {
      const raw = await exchange(endpoint.host, endpoint.port, Buffer.from(request), (b) => b.length >= whole.length || REFUSED.test(b.toString('latin1')), timeoutMs);
      found = summarizeReply(raw.toString('latin1'), key);
    } catch {
      found = null;
    }
    return { check: CHECK, expected, found, ok: found === expected };
  },
};
