import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BLOCK, packTar, readTar, tarHeader, TarError } from './tar';

const dir = mkdtempSync(join(tmpdir(), 'saio-tar-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const files = [
  { path: 'manifest.json', data: Buffer.from('{}\n') },
  { path: 'empty', data: Buffer.alloc(0) },
  { path: 'a/exactly-one-block', data: Buffer.alloc(BLOCK, 0x61) },
  { path: 'a/b/zeros-and-more', data: Buffer.from([0, 0, 255, 0, 1]) },
];
/** Recompute the first header's checksum, so a test damages only the field it means to. */
function resum(tar: Buffer): Buffer {
  tar.write('        ', 148, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += tar[i] as number;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return tar;
}
const tarError = (re: RegExp) => (e: unknown) => e instanceof TarError && re.test(e.message);

test('what packTar writes, readTar reads back byte for byte, in order', () => {
  const tar = packTar(files, 1_700_000_000);
  assert.equal(tar.length % BLOCK, 0);
  assert.deepEqual(readTar(tar), files);
});

test('the archive is ordinary ustar: the system tar lists and extracts it', (t) => {
  const file = join(dir, 'x.tar');
  writeFileSync(file, packTar(files));
  let listing: string;
  try {
    listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' });
  } catch {
    t.skip('no tar on this machine');
    return;
  }
  assert.deepEqual(
    listing.trim().split('\n'),
    files.map((f) => f.path),
  );
  execFileSync('tar', ['-xf', file, '-C', dir]);
  assert.deepEqual(readFileSync(join(dir, 'a/b/zeros-and-more')), files[3]?.data);
});

test('names longer than a ustar name field are refused when writing', () => {
  assert.throws(() => packTar([{ path: 'x'.repeat(101), data: Buffer.alloc(0) }]), tarError(/longer than 100 bytes/));
});

test('the reader refuses anything that is not exactly a well-formed archive', () => {
  const good = packTar(files);
  assert.throws(() => readTar(good.subarray(0, good.length - 100)), tarError(/not a multiple of 512/));
  assert.throws(() => readTar(good.subarray(0, good.length - 2 * BLOCK)), tarError(/without its end-of-archive marker/));
  assert.throws(() => readTar(good.subarray(0, good.length - BLOCK)), tarError(/lone zero block/));
  assert.throws(() => readTar(Buffer.concat([good, Buffer.alloc(BLOCK, 1)])), tarError(/data after the end-of-archive marker/));
  assert.deepEqual(readTar(Buffer.concat([good, Buffer.alloc(4 * BLOCK)])), files, 'zero padding after the end is fine');

  const badSum = Buffer.from(good);
  badSum[BLOCK * 2 + 1] = 0x7a; // a byte of the second header's name
  assert.throws(() => readTar(badSum), tarError(/tar header at offset 1024: checksum mismatch/));

  const oneFile = packTar([{ path: 'f', data: Buffer.from('abc') }]);
  const dirtyPad = Buffer.from(oneFile);
  dirtyPad[BLOCK + 10] = 1;
  assert.throws(() => readTar(dirtyPad), tarError(/"f" has non-zero padding/));
  const tooBig = Buffer.concat([tarHeader({ path: 'f', size: 4 * BLOCK }), Buffer.alloc(3 * BLOCK, 1)]);
  assert.throws(() => readTar(tooBig), tarError(/"f" claims 2048 bytes but the archive ends first/));

  const twice = packTar([files[0]!, files[0]!]);
  assert.throws(() => readTar(twice), tarError(/"manifest.json" appears twice/));

  const link = Buffer.concat([tarHeader({ path: 'l', size: 0, type: '2', linkname: '/etc/passwd' }), Buffer.alloc(2 * BLOCK)]);
  assert.throws(() => readTar(link), tarError(/"l" is a symbolic link; only regular files are allowed/));
  const pax = Buffer.concat([tarHeader({ path: 'p', size: 0, type: 'x' }), Buffer.alloc(2 * BLOCK)]);
  assert.throws(() => readTar(pax), tarError(/pax extended header/));

  const gnu = Buffer.from(oneFile);
  gnu.write('ustar  \0', 257, 'latin1'); // the old GNU magic
  assert.throws(() => readTar(resum(gnu)), tarError(/not a POSIX ustar header/));

  const hidden = Buffer.from(oneFile);
  hidden.write('\0evil', 1, 'latin1'); // "f\0evil": text hidden after the name's NUL
  assert.throws(() => readTar(resum(hidden)), tarError(/name has bytes after its terminating NUL/));

  const hexSize = Buffer.from(oneFile);
  hexSize.write('0000000000x\0', 124, 'latin1');
  assert.throws(() => readTar(resum(hexSize)), tarError(/size of "f" is not an octal number/));
});
