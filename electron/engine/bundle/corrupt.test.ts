// Each damaged or forged bundle is refused with a message saying what is wrong, and the
// database it was imported into is exactly as before (every row of every table compared).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createNotebook } from '../notebooks';
import { sha256, Store } from '../store/store';
import { BundleError } from './format';
import { exportedSource, notebookDoc } from './fixture';
import { importBundle } from './import';
import { editJson, member, packAny, relist, repack, unpack, type Member } from './repack';

const dir = mkdtempSync(join(tmpdir(), 'saio-bundle-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, 'good.saiolab');
exportedSource(good);
const RUN = 'runs/run-000000000001.json';
const ARTIFACT = 'artifacts/run-000000000001/1';

// The target already holds something, so "untouched" is a real claim.
const dst = new Store(join(dir, 'target.db'));
createNotebook(dst, 'unrelated', notebookDoc());

let n = 0;
function refused(file: string, message: RegExp): void {
  const before = dst.dumpTables();
  assert.throws(
    () => importBundle(dst, file),
    (e: unknown) => {
      assert.ok(e instanceof BundleError, `expected a BundleError, got ${String(e)}`);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/, 'a one-line message');
      return true;
    },
  );
  assert.deepEqual(dst.dumpTables(), before);
}
const members = (): Member[] => unpack(good);
const bundle = (ms: Member[]): string => repack(join(dir, `case-${++n}.saiolab`), ms);
const raw = (bytes: Buffer): string => {
  const file = join(dir, `raw-${++n}.saiolab`);
  writeFileSync(file, bytes);
  return file;
};

test('the unmodified bundle imports (so every refusal below is caused by its one change)', () => {
  const scratch = new Store(':memory:');
  assert.equal(importBundle(scratch, bundle(members())).runs_added, 2);
  assert.equal(importBundle(new Store(':memory:'), bundle(relist(members()))).revisions_added, 3);
});

test('a flipped byte in an artifact fails its checksum', () => {
  const ms = members();
  const m = member(ms, ARTIFACT);
  m.data[700] = (m.data[700] as number) ^ 0x01;
  refused(bundle(ms), /"artifacts\/run-000000000001\/1" does not match its size and sha256 checksum in manifest\.json/);
});

test('a flipped byte in the compressed file, or a truncated file, is refused as corrupt', () => {
  const bytes = readFileSync(good);
  const flipped = Buffer.from(bytes);
  const mid = Math.floor(bytes.length / 2);
  flipped[mid] = (flipped[mid] as number) ^ 0x40;
  refused(raw(flipped), /is truncated or corrupt \(gzip: /);
  for (const cut of [2, 10, 100, Math.floor(bytes.length / 2), bytes.length - 8, bytes.length - 1]) {
    refused(raw(bytes.subarray(0, cut)), /is truncated or corrupt \(gzip: unexpected end of file\)/);
  }
  refused(raw(bytes.subarray(0, 1)), /not gzip-compressed/);
  refused(raw(Buffer.alloc(0)), /not gzip-compressed/);
});

test('a file that is not gzip at all, or a bare tar, is not a bundle', () => {
  refused(raw(Buffer.from('{"format": "saio-lab/notebook@1"}\n')), /is not a saio-lab bundle \(not gzip-compressed\)/);
  refused(raw(packAny(members())), /not gzip-compressed/);
});

test('a tar cut short inside a valid gzip stream, or with a damaged header, is refused', () => {
  const tar = packAny(members());
  refused(raw(gzipSync(tar.subarray(0, tar.length - 1024))), /end-of-archive marker/);
  refused(raw(gzipSync(tar.subarray(0, 512 * 3))), /claims \d+ bytes but the archive ends first|end-of-archive/);
  const damaged = Buffer.from(tar);
  damaged[0] = 'N'.charCodeAt(0); // manifest.json -> Nanifest.json, checksum not updated
  refused(raw(gzipSync(damaged)), /tar header at offset 0: checksum mismatch/);
});

test('paths that escape the bundle are refused, naming the path', () => {
  const evil = relist([...members(), { path: '../evil', data: Buffer.from('x') }]);
  refused(bundle(evil), /entry "\.\.\/evil" escapes the bundle \(it has a "\.\." segment\)/);
  refused(bundle(relist([...members(), { path: '/etc/x', data: Buffer.from('x') }])), /entry "\/etc\/x" escapes the bundle \(it is absolute\)/);
  refused(bundle(relist([...members(), { path: 'runs/../../x.json', data: Buffer.from('{}') }])), /"runs\/\.\.\/\.\.\/x\.json" escapes the bundle/);
  refused(bundle(relist([...members(), { path: 'artifacts\\x\\0', data: Buffer.from('x') }])), /escapes the bundle \(it contains a backslash\)/);
  refused(bundle(relist([...members(), { path: 'runs//x.json', data: Buffer.from('x') }])), /escapes the bundle \(it has an empty segment\)/);
  refused(bundle(relist([...members(), { path: 'bin/run.sh', data: Buffer.from('x') }])), /unexpected entry "bin\/run\.sh"/);
});

test('a symlink, hard link or directory entry is refused', () => {
  refused(bundle([...members(), { path: 'runs/link.json', data: Buffer.alloc(0), type: '2', linkname: '/etc/passwd' }]), /entry "runs\/link\.json" is a symbolic link; only regular files are allowed/);
  refused(bundle([...members(), { path: 'notebook2.json', data: Buffer.alloc(0), type: '1', linkname: 'notebook.json' }]), /is a hard link/);
  refused(bundle([...members(), { path: 'runs', data: Buffer.alloc(0), type: '5' }]), /is a directory/);
});

test('a duplicate path is refused', () => {
  const ms = members();
  refused(bundle([...ms, { ...member(ms, RUN) }]), /entry "runs\/run-000000000001\.json" appears twice/);
});

test('the manifest: missing, not first, another format, a newer version', () => {
  refused(bundle(members().filter((m) => m.path !== 'manifest.json')), /has no manifest\.json/);
  const ms = members();
  refused(bundle([...ms.slice(1), ms[0] as Member]), /manifest\.json is not the first entry/);
  refused(bundle(editJson(members(), 'manifest.json', (m) => (m.format = 'something/else'))), /is not a saio-lab bundle \(manifest\.json format is "something\/else"/);
  refused(bundle(editJson(members(), 'manifest.json', (m) => (m.version = 3))), /bundle format version 3 is newer than this saio-lab understands \(2\)/);
  refused(bundle(editJson(members(), 'manifest.json', (m) => (m.producer = 7))), /manifest\.json is not valid: producer: /);
});

test('a file not listed in the manifest, and a listed file that is missing', () => {
  const extra = [...members(), { path: 'artifacts/run-000000000001/9', data: Buffer.from('hidden') }];
  refused(bundle(extra), /"artifacts\/run-000000000001\/9" is in the bundle but not listed in manifest\.json/);
  refused(bundle(members().filter((m) => m.path !== ARTIFACT)), /manifest\.json lists "artifacts\/run-000000000001\/1" but the bundle does not contain it/);
  // Listed, checksummed, and still an artifact no run owns.
  refused(bundle(relist(extra)), /"artifacts\/run-000000000001\/9" is not an artifact of any run in the bundle/);
});

test('a revision whose content was altered is caught by its hashes, even with the manifest redone', () => {
  const retitled = (r: { content: string }) => (r.content = r.content.replace('take two', 'take three'));
  refused(bundle(relist(editJson(members(), 'notebook.json', (d) => retitled(d.revisions[1])))), /revisions\[1\] \([0-9a-f]{12}\): content does not match its content_sha256/);
  const rehashed = editJson(members(), 'notebook.json', (d) => {
    retitled(d.revisions[1]);
    d.revisions[1].content_sha256 = sha256(d.revisions[1].content);
  });
  refused(bundle(relist(rehashed)), /revisions\[1\] \([0-9a-f]{12}\): id does not match the hash of its notebook, parent, content, message and time/);
  refused(bundle(relist(editJson(members(), 'notebook.json', (d) => (d.revisions[2].message = 'rewritten history')))), /revisions\[2\].*id does not match/);
});

test('a revision whose content is not a valid notebook is refused, naming the JSON path', () => {
  const apache = editJson(members(), 'notebook.json', (d) => (d.revisions[0].content = d.revisions[0].content.replace('"nginx"', '"apache"')));
  refused(bundle(relist(apache)), /revisions\[0\] \([0-9a-f]{12}\): content is not a valid notebook: cells\[1\]\.server\.kind: expected one of "nginx"(, "[a-z-]+")*, found "apache"/);
  refused(bundle(relist(editJson(members(), 'notebook.json', (d) => (d.revisions[0].content = '{ nope')))), /content is not a valid notebook: \$: expected JSON/);
});

test('broken references: a run on a revision not in the bundle, a parent missing, a point seq missing', () => {
  const elsewhere = editJson(members(), RUN, (d) => (d.run.revision_id = 'f'.repeat(64)));
  refused(bundle(relist(elsewhere)), /runs\/run-000000000001\.json: the run's revision ffffffffffff is not in the bundle/);
  refused(bundle(relist(editJson(members(), 'notebook.json', (d) => d.revisions.shift()))), /has parent [0-9a-f]{12}, which is not in the bundle/);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.artifacts[1].point_seq = 99)))), /artifacts\[1\] refers to point seq 99, which the run does not have/);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.points[1].seq = 0)))), /two points have seq 0/);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.run.cell_id = 'plot')))), /cell "plot" is not an experiment cell/);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.run.status = 'running')))), /the run is still running; only finished runs can be imported/);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.run.id = 'run-x')))), /holds run "run-x", not the run its name says/);
});

test('JSON that does not fit its schema is reported by file and JSON path', () => {
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.points[2].seq = 'two')))), /runs\/run-000000000001\.json is not valid: points\[2\]\.seq: /);
  refused(bundle(relist(editJson(members(), RUN, (d) => (d.run.surprise = true)))), /runs\/run-000000000001\.json is not valid: run: .*surprise/);
  const notJson = members();
  member(notJson, RUN).data = Buffer.from('{"run": ');
  refused(bundle(relist(notJson)), /runs\/run-000000000001\.json is not valid UTF-8 JSON/);
});
