// libsaio on a kTLS socket, differentially, in a QEMU guest (this machine has no kTLS; the guest's
// Debian kernel loads its tls module on the first TCP_ULP "tls"). preload's torture suite runs
// its kTLS scenario there: once without the library (the kernel's own behaviour is the oracle),
// then under LD_PRELOAD=libsaio.so per backend mode; the peer, outside the library, decrypts
// with TLS_RX and checks every byte, the order and the EOF, and the app's transcript (return
// values, errno, descriptors) must match the baseline's. A SKIP (no kTLS in the guest) fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../../paths';
import { GuestHost } from './guest';

const MODES = ['sync', 'uring', 'sqpoll'];
const SCENARIOS = ['ktls_send', 'ktls_behind', 'ktls_slow_reader', 'ktls_keepalive'];

let guest: GuestHost | null = null;
after(async () => {
  await guest?.close();
});

test('kTLS: every byte libsaio reported sent reaches the peer in order, then EOF, as without it (sync, uring, sqpoll)', async () => {
  const preload = join(repoRoot(), 'preload');
  const made = spawnSync('make', ['-C', preload, '--no-print-directory', 'all', 'build/tests/torture'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(made.status, 0, made.stderr);
  guest = await GuestHost.boot({ name: 'vm', runId: `ktls-${randomBytes(3).toString('hex')}`, cpus: 2, memory_mb: 1024, accel: 'auto', probeTimeoutMs: 20_000 });
  const torture = join(preload, 'build', 'tests', 'torture');
  const lib = join(preload, 'build', 'libsaio.so');
  // TCG: every time limit and tolerance three times longer; the transcripts of a failure are printed.
  const script = `mkdir -p ${guest.runDir}/torture && TMPDIR=${guest.runDir}/torture TORTURE_SLOW=3 ${torture} run -g -l ${lib} ${MODES.map((m) => `-m ${m}`).join(' ')} ${SCENARIOS.join(' ')}`;
  const r = await guest.exec(['sh', '-c', script], { timeoutMs: 1_500_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  const lines = r.stdout.split('\n');
  assert.deepEqual(
    lines.filter((l) => /^SKIP: /.test(l)),
    [],
    `kTLS must be there in the guest:\n${out}`,
  );
  const failed = lines.filter((l) => /^FAIL: /.test(l));
  assert.deepEqual(failed, [], out);
  const passed = new Set(lines.filter((l) => /^PASS: /.test(l)).map((l) => l.replace(/^PASS: torture\/([^/]+)\/([^:]+).*$/, '$1/$2')));
  for (const m of MODES) for (const s of SCENARIOS) assert.ok(passed.has(`${m}/${s}`), `${m}/${s} passed:\n${out}`);
  assert.equal(r.code, 0, out);
});
