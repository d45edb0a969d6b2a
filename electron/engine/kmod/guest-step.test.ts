// The module step's view of a guest kernel: the facts one command prints, read the way
// kmod/host.ts reads this machine's, and the headers looked up on this machine for that version.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { headersFor, parseGuestFacts } from './guest-step';
import { cannotLoadModules } from './host';

test('guest facts: a Debian guest kernel as root can load modules when its headers are here; each missing piece is named', () => {
  const root = mkdtempSync(join(tmpdir(), 'saio-guest-facts-'));
  try {
    // A version made up here on purpose: the real one is never written down (no-written-abi.test.ts).
    const v = `6.1.0-${process.pid % 90}-testabi`;
    mkdirSync(join(root, 'usr', 'src', `linux-headers-${v}`), { recursive: true });
    writeFileSync(join(root, 'usr', 'src', `linux-headers-${v}`, 'Makefile'), 'all:\n');
    const headers = (k: string) => headersFor(k, root);
    const f = parseGuestFacts(`${v}\n0\nyes\n0\nnone [integrity] confidentiality\n`, headers);
    assert.deepEqual(f, { kernel: v, uid: 0, moduleSupport: true, modulesDisabled: false, lockdown: 'integrity', headers: join(root, 'usr', 'src', `linux-headers-${v}`) });
    assert.match(cannotLoadModules(f) ?? '', /locked down \(integrity\)/);
    const ok = parseGuestFacts(`${v}\n0\nyes\n0\n-\n`, headers);
    assert.equal(ok.lockdown, null);
    assert.equal(cannotLoadModules(ok), null);
    const none = parseGuestFacts('6.1.0-0-other\n1000\nno\n1\n-\n', headers);
    assert.equal(none.headers, null);
    const why = cannotLoadModules(none) ?? '';
    for (const w of [/no loadable-module support/, /modules_disabled = 1/, /needs root/]) assert.match(why, w);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
