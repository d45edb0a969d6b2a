import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAbsolute, resolve } from 'node:path';
import { runsDir } from './locations';

// Servers start with their run directory as working directory and are given paths inside it: a
// relative runs directory (from `--db out/lab.db`) was joined onto itself and nginx could open
// neither its config nor its error log.
test('the runs directory is absolute even for a relative database path', () => {
  const dir = runsDir('out/replay/lab.db');
  assert.ok(isAbsolute(dir), dir);
  assert.equal(dir, resolve('out/replay/runs'));
});
