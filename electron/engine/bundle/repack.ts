// Test-only: take a good bundle apart with our own tar reader, change it, and put it back
// together, so each corruption test damages exactly one thing.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sha256 } from '../store/store';
import { MANIFEST_PATH } from './format';
import { BLOCK, readTar, tarHeader } from './tar';

/** A tar member; `type` other than "0" (with `linkname`) forges entries export never writes. */
export interface Member {
  path: string;
  data: Buffer;
  type?: string;
  linkname?: string;
}

export function unpack(file: string): Member[] {
  return readTar(gunzipSync(readFileSync(file)));
}

/** Like packTar, but any entry type and any path: the archive a hostile producer could write. */
export function packAny(members: readonly Member[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const size = m.type === undefined || m.type === '0' ? m.data.length : 0;
    parts.push(tarHeader({ path: m.path, size, type: m.type ?? '0', linkname: m.linkname ?? '' }));
    if (size > 0) parts.push(m.data, Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

export function repack(file: string, members: readonly Member[]): string {
  writeFileSync(file, gzipSync(packAny(members)));
  return file;
}

export const member = (members: readonly Member[], path: string): Member => {
  const m = members.find((x) => x.path === path);
  if (!m) throw new Error(`test bundle has no ${path}`);
  return m;
};

/** Rewrite one JSON member in place. */
export function editJson(members: Member[], path: string, edit: (doc: any) => void): Member[] {
  const m = member(members, path);
  const doc: unknown = JSON.parse(m.data.toString('utf8'));
  edit(doc);
  m.data = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`);
  return members;
}

/** The manifest a careful forger would write: every other member listed with its real checksum. */
export function relist(members: Member[]): Member[] {
  return editJson(members, MANIFEST_PATH, (manifest) => {
    manifest.files = members.filter((m) => m.path !== MANIFEST_PATH).map((m) => ({ path: m.path, size: m.data.length, sha256: sha256(m.data) }));
  });
}
