// Debian moves its kernel's ABI with every update (linux-image-amd64 pulled 6.1.0-56, then -57):
// a version written into code, tests or scripts breaks every machine set up after the next one.
// Tracked files may name one only in prose that says it is an example ("e.g.", "for example").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../paths';

/** A Debian kernel ABI as apt names it, e.g. 6.1.0-57-amd64, 6.12.9-1-cloud-amd64 or 5.10.0-33-arm64. */
const DEBIAN_ABI = /\b\d+\.\d+\.\d+-\d+-(?:cloud-|rt-)?(?:amd64|arm64|armmp|686(?:-pae)?)\b/;
const EXAMPLE = /\b(e\.g\.|for example|for instance)/i;

/** Lines naming a Debian ABI outside an example, as `path:line: text`. */
export function writtenAbis(files: { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    f.text.split('\n').forEach((line, i) => {
      if (DEBIAN_ABI.test(line) && !EXAMPLE.test(line)) found.push(`${f.path}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

test('the check itself: a written ABI is found, an example is not, nor other versions', () => {
  // Assembled here, so that this file holds no ABI written out itself.
  const abi = (version: string, n: number, flavour: string) => [version, n, flavour].join('-');
  const found = writtenAbis([
    { path: 'a.ts', text: `const k = '/usr/src/linux-headers-${abi('6.1.0', 56, 'amd64')}';\n// e.g. ${abi('6.1.0', 57, 'amd64')} on one day\nnginx 1.22.1-9\n` },
    { path: 'b.md', text: `built for ${abi('6.12.9', 1, 'cloud-amd64')}\nwrk debian/4.1.0-3+b2\n` },
  ]);
  assert.deepEqual(found, [`a.ts:1: const k = '/usr/src/linux-headers-${abi('6.1.0', 56, 'amd64')}';`, `b.md:1: built for ${abi('6.12.9', 1, 'cloud-amd64')}`]);
});

test('no tracked file names a Debian kernel ABI except as an example', () => {
  const root = repoRoot();
  const ls = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  assert.equal(ls.status, 0, `git ls-files: ${ls.stderr}`);
  const paths = ls.stdout.split('\0').filter((p) => p && !p.endsWith('package-lock.json') && !/\.(png|gz|saiolab)$/.test(p));
  assert.ok(paths.length > 100, `${paths.length} tracked files`);
  const files = paths.flatMap((path) => {
    try {
      return [{ path, text: readFileSync(join(root, path), 'utf8') }];
    } catch {
      return []; // deleted in the work tree, not yet committed
    }
  });
  assert.deepEqual(writtenAbis(files), [], 'ask kmod/scripts/debian-kernel.sh (or debian-kernel.ts) instead');
});
