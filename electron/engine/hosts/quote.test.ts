// The quoting of remote commands, against the shells a login shell may be: what sshd runs is
// `$SHELL -c STRING`, so STRING from loginShellCommand(shCommand(argv)) must give argv back
// byte for byte under each, and no hostile argument may run as a command.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loginShellCommand, shAssign, shCommand, shQuote } from './quote';
import { hostileStrings } from './testing/hostile';

const dir = mkdtempSync(join(tmpdir(), 'saio-quote-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const canary = join(dir, 'CANARY');

const HOSTILE = hostileStrings(canary, 50_000);

// Every POSIX-ish shell here; each stands in for a login shell.
const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash', '/usr/bin/busybox sh'].filter((s) => existsSync(s.split(' ')[0] as string));

test('shQuote: single quotes, with the quote itself closed, escaped and reopened; NUL refused', () => {
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.equal(shQuote('$x y'), `'$x y'`);
  assert.throws(() => shQuote('a\0b'), /NUL byte/);
  assert.throws(() => shCommand([]), /empty argv/);
  assert.equal(shAssign('A_1', "v'"), `A_1='v'\\''' `.trim());
  assert.throws(() => shAssign('A-1', 'v'), /environment variable name/);
  assert.throws(() => shAssign('1A', 'v'), /environment variable name/);
});

test('loginShellCommand is one line of base64 and fixed characters: no quote, backslash, "!" or newline of the payload reaches the login shell', () => {
  const cmd = loginShellCommand(shCommand(HOSTILE));
  const m = /^exec \/bin\/sh -c 'eval "\$\(echo ([A-Za-z0-9+/=]+) \| base64 -d\)"'$/.exec(cmd);
  assert.ok(m, cmd.slice(0, 120));
});

for (const sh of SHELLS) {
  test(`hostile argv arrives byte for byte through ${sh} -c (as sshd runs a login shell)`, () => {
    const argv = ['printf', '%s\\0', ...HOSTILE];
    const [prog, ...pre] = sh.split(' ');
    const r = spawnSync(prog as string, [...pre, '-c', loginShellCommand(shCommand(argv))], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE);
    const e = spawnSync(prog as string, [...pre, '-c', loginShellCommand(`${shAssign('V', HOSTILE.join(''))}; export V; printf %s "$V"`)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.equal(e.stdout, HOSTILE.join(''));
    assert.equal(existsSync(canary), false, 'no argument ran as a command');
  });
}
