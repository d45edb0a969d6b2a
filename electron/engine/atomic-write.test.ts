import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from './atomic-write';

test('writes text and bytes whole, replaces what was there, leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saio-atomic-'));
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new ✓');
    assert.equal(readFileSync(file, 'utf8'), 'new ✓');
    const big = Buffer.alloc(3 << 20, 7);
    writeFileAtomic(join(dir, 'b.saiolab'), big);
    assert.ok(readFileSync(join(dir, 'b.saiolab')).equals(big));
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ['b.saiolab', 'report.html']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails leaves the old file as it was and no temporary file', { skip: process.getuid?.() === 0 ? 'root writes into read-only folders' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'saio-atomic-'));
  try {
    const file = join(dir, 'results.json');
    writeFileSync(file, 'kept');
    chmodSync(dir, 0o555);
    assert.throws(() => writeFileAtomic(file, 'lost'), /EACCES/);
    chmodSync(dir, 0o755);
    assert.equal(readFileSync(file, 'utf8'), 'kept');
    assert.deepEqual(readdirSync(dir), ['results.json']);
  } finally {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a target that is a folder is refused and nothing is left behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saio-atomic-'));
  try {
    writeFileSync(join(dir, 'keep'), '');
    assert.throws(() => writeFileAtomic(dir, 'x'));
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'x'), 'x'), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ['keep']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
