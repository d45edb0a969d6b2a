// redis (RESP2): ready when PING answers +PONG; after the load, SET of a fresh random key, GET of
// it and DEL, pipelined on one connection, must answer +OK, the exact value and :1. The load
// generator itself checks every GET it makes against the value it SET (values random, remembered).
import { createHash, randomBytes } from 'node:crypto';
import type { AfterCheck } from '../model';
import { exchange } from './exchange';
import { emptyDataset, pollUntilReady, type Endpoint, type ProtocolModule } from './types';

export type RespReply = { type: 'simple' | 'error'; text: string } | { type: 'integer'; value: number } | { type: 'bulk'; value: Buffer | null };

/** The complete replies at the start of `buf`, or null while the last one is still arriving. */
export function parseReplies(buf: Buffer, count: number): RespReply[] | null {
  const out: RespReply[] = [];
  let at = 0;
  while (out.length < count) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const line = buf.toString('latin1', at + 1, eol);
    const type = String.fromCharCode(buf[at] ?? 0);
    at = eol + 2;
    if (type === '+' || type === '-') out.push({ type: type === '+' ? 'simple' : 'error', text: line });
    else if (type === ':') out.push({ type: 'integer', value: Number(line) });
    else if (type === '$') {
      const len = Number(line);
      if (len < 0) {
        out.push({ type: 'bulk', value: null });
        continue;
      }
      if (buf.length < at + len + 2) return null;
      out.push({ type: 'bulk', value: buf.subarray(at, at + len) });
      at += len + 2;
    } else throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('latin1', 0, 60))}`);
  }
  return out;
}

export function command(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const describe = (r: RespReply | undefined): string =>
  r === undefined ? 'nothing' : r.type === 'bulk' ? (r.value === null ? 'nil' : `${r.value.length} bytes`) : r.type === 'integer' ? `:${r.value}` : `${r.type === 'error' ? '-' : '+'}${r.text}`;

async function replies(endpoint: Endpoint, request: Buffer, count: number, timeoutMs: number): Promise<RespReply[]> {
  const raw = await exchange(endpoint.host, endpoint.port, request, (b) => parseReplies(b, count) !== null, timeoutMs);
  const parsed = parseReplies(raw, count);
  if (!parsed) throw new Error(`the connection closed after ${raw.length} bytes, before ${count} replies`);
  return parsed;
}

const CHECK = 'SET of a fresh random key, then GET and DEL, after the load';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export const redis: ProtocolModule = {
  kind: 'redis',
  prepare: () => emptyDataset,
  endpoint: (port, _dataset, address = '127.0.0.1') => ({ url: `redis://${address}:${port}`, host: address, port }),
  waitReady(endpoint, _dataset, timeoutMs, alive) {
    return pollUntilReady(`PING on ${endpoint.url}`, timeoutMs, alive, async () => {
      const [r] = await replies(endpoint, command('PING'), 1, 1000);
      if (r?.type !== 'simple' || r.text !== 'PONG') throw new Error(`PING answered ${describe(r)}`);
    });
  },
  async checkAfter(endpoint, _dataset, timeoutMs): Promise<AfterCheck> {
    const key = `saio-lab-check-${randomBytes(8).toString('hex')}`;
    const value = randomBytes(1024);
    const expected = `+OK, ${sha(value)}, :1`;
    let found: string | null;
    try {
      const [set, get, del] = await replies(endpoint, Buffer.concat([command('SET', key, value), command('GET', key), command('DEL', key)]), 3, timeoutMs);
      const got = get?.type === 'bulk' && get.value !== null ? sha(get.value) : describe(get);
      found = `${describe(set)}, ${got}, ${describe(del)}`;
    } catch (e) {
      found = null;
      void e;
    }
    return { check: CHECK, expected, found, ok: found === expected };
  },
};
