// LocalHost passes the host contract (the same tests as SSH hosts and guests), and its clock offset
// is zero within its own uncertainty.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hostContract } from './contract';
import { LocalHost } from './local';

const dir = mkdtempSync(join(tmpdir(), 'saio-localhost-'));
const host = new LocalHost(dir);

hostContract(
  'LocalHost',
  async () => ({ host, address: '127.0.0.1', kernel: release() }),
  async () => {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  },
);

test('LocalHost: the clock offset against itself is within its uncertainty of zero', async () => {
  const off = await host.clockOffset();
  assert.ok(Math.abs(off.offset_ms) <= off.uncertainty_ms + 1, JSON.stringify(off));
});
