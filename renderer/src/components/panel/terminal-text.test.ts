import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkText } from './terminal-text';

const chunk = (role: string, data: string, stream: 'stdout' | 'stderr' = 'stdout') => ({ seq: 0, job: 'j', role, stream, data });
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

test('every line carries its source tag, even inside one chunk', () => {
  const c = chunk('driver', 'Running 1s test\n  1 threads\nRequests/sec: 5\n');
  assert.equal(plain(chunkText(c, undefined)), '[driver] Running 1s test\n[driver]   1 threads\n[driver] Requests/sec: 5\n');
});

test('a chunk that continues an unfinished line is not tagged again; another source starts a new line', () => {
  const first = chunk('driver', 'Requests/s');
  const rest = chunk('driver', 'ec: 5\n');
  assert.equal(plain(chunkText(rest, first)), 'ec: 5\n');
  assert.equal(plain(chunkText(chunk('server', 'warn\n', 'stderr'), first)), '\n[server stderr] warn\n');
  assert.equal(plain(chunkText(chunk('lab', '── run finished ──\n'), rest)), '── run finished ──\n');
});
