// Reading a bundle: every check that needs no database. A bundle comes from elsewhere, so
// nothing in it is trusted until the whole file has been read and checked, byte for byte and
// reference by reference; only a VerifiedBundle is ever written to a store.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { checkName } from '../notebooks';
import type { Notebook } from '../common/notebook/schema';
import { parseNotebookText } from '../notebook/validate';
import { revisionId, sha256 } from '../store/store';
import { artifactPath, BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, classifyPath, MANIFEST_PATH, NOTEBOOK_PATH, type BundlePath } from './format';
import { pointFromV1 } from '../legacy/v1';
import { Manifest, NotebookDoc, parseBundleJson, RunDoc } from './schemas';
import { RunDocV1 } from './schemas-v1';
import { readTar, TarError } from './tar';

export interface VerifiedRun {
  doc: RunDoc;
  /** Artifact bytes, in the order of doc.artifacts. */
  artifacts: Buffer[];
}

export interface VerifiedBundle {
  manifest: Manifest;
  notebook: NotebookDoc;
  runs: VerifiedRun[];
}

interface Entry {
  path: string;
  at: BundlePath;
  data: Buffer;
}

function readArchive(file: string): Entry[] {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new BundleError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) {
    throw new BundleError(`${file} is not a saio-lab bundle (not gzip-compressed); pass a file written by \`saio-lab export\``);
  }
  let tar: Buffer;
  try {
    tar = gunzipSync(raw);
  } catch (e) {
    throw new BundleError(`${file} is truncated or corrupt (gzip: ${(e as Error).message}); copy or export it again`);
  }
  let files;
  try {
    files = readTar(tar);
  } catch (e) {
    if (!(e instanceof TarError)) throw e;
    throw new BundleError(`${file} is not a valid bundle archive: ${e.message}; copy or export it again`);
  }
  return files.map((f) => ({ path: f.path, at: classifyPath(f.path, file), data: f.data }));
}

/** Format and version are checked before the full schema, so a newer bundle gets a clear message. */
function readManifest(file: string, entries: readonly Entry[]): Manifest {
  const first = entries[0];
  if (!entries.some((e) => e.at.kind === 'manifest')) throw new BundleError(`${file} has no ${MANIFEST_PATH}; it is not a saio-lab bundle`);
  if (first?.at.kind !== 'manifest') throw new BundleError(`${file}: ${MANIFEST_PATH} is not the first entry; this is not a bundle saio-lab wrote`);
  const head = parseBundleJson(file, MANIFEST_PATH, first.data, z.looseObject({ format: z.unknown(), version: z.unknown() }));
  if (head.format !== BUNDLE_FORMAT) {
    throw new BundleError(`${file} is not a saio-lab bundle (${MANIFEST_PATH} format is ${JSON.stringify(head.format)}, expected "${BUNDLE_FORMAT}")`);
  }
  if (typeof head.version === 'number' && Number.isInteger(head.version) && head.version > BUNDLE_VERSION) {
    throw new BundleError(`${file}: bundle format version ${head.version} is newer than this saio-lab understands (${BUNDLE_VERSION}); upgrade saio-lab to import it`);
  }
  if (head.version !== BUNDLE_VERSION && head.version !== 1) {
    throw new BundleError(`${file}: unknown bundle format version ${JSON.stringify(head.version)} (this saio-lab reads versions 1 to ${BUNDLE_VERSION})`);
  }
  return parseBundleJson(file, MANIFEST_PATH, first.data, Manifest);
}

/** Every listed file present with its size and sha256, and nothing unlisted. */
function checkListed(file: string, manifest: Manifest, entries: readonly Entry[]): void {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (f.path === MANIFEST_PATH || listed.has(f.path)) throw new BundleError(`${file}: ${MANIFEST_PATH} lists "${f.path}" more than once or lists itself; the bundle is damaged`);
    listed.add(f.path);
    const entry = byPath.get(f.path);
    if (!entry) throw new BundleError(`${file}: ${MANIFEST_PATH} lists "${f.path}" but the bundle does not contain it; the bundle is incomplete, export it again`);
    if (entry.data.length !== f.size || sha256(entry.data) !== f.sha256) {
      throw new BundleError(`${file}: "${f.path}" does not match its size and sha256 checksum in ${MANIFEST_PATH}; the bundle is corrupted, export it again`);
    }
  }
  for (const e of entries) {
    if (e.at.kind !== 'manifest' && !listed.has(e.path)) {
      throw new BundleError(`${file}: "${e.path}" is in the bundle but not listed in ${MANIFEST_PATH}; the bundle was altered, do not import it`);
    }
  }
}

/** Each revision's content is a valid notebook whose hash and id are what the bundle says. */
function checkRevisions(file: string, doc: NotebookDoc): Map<string, Notebook> {
  const checked = new Map<string, Notebook>();
  const all = new Set(doc.revisions.map((r) => r.id));
  for (const [i, rev] of doc.revisions.entries()) {
    const where = `${file}: ${NOTEBOOK_PATH} revisions[${i}] (${rev.id.slice(0, 12)})`;
    if (checked.has(rev.id)) throw new BundleError(`${where} appears twice; the bundle is damaged`);
    if (rev.parent_id !== null && !checked.has(rev.parent_id)) {
      throw new BundleError(
        all.has(rev.parent_id)
          ? `${where} is listed before its parent; the bundle is damaged`
          : `${where} has parent ${rev.parent_id.slice(0, 12)}, which is not in the bundle; the bundle is incomplete`,
      );
    }
    const v = parseNotebookText(rev.content);
    if (!v.ok)
      throw new BundleError(
        `${where}: content is not a valid notebook: ${v.errors
          .slice(0, 3)
          .map((e) => `${e.path}: ${e.message}`)
          .join('; ')}`,
      );
    if (sha256(rev.content) !== rev.content_sha256) throw new BundleError(`${where}: content does not match its content_sha256; the revision was altered, do not import it`);
    if (revisionId({ ...rev, notebook_id: doc.notebook.id }) !== rev.id)
      throw new BundleError(`${where}: id does not match the hash of its notebook, parent, content, message and time; the revision was altered, do not import it`);
    checked.set(rev.id, v.notebook);
  }
  if (!checked.has(doc.notebook.head_revision_id)) throw new BundleError(`${file}: the notebook's head revision is not in the bundle; the bundle is incomplete`);
  return checked;
}

/** A run belongs to the notebook, a revision of it and an experiment cell; its points and files line up. */
function checkRun(file: string, entry: Entry, doc: RunDoc, notebookId: string, revisions: Map<string, Notebook>, byPath: Map<string, Entry>): VerifiedRun {
  const run = doc.run;
  const where = `${file}: ${entry.path}`;
  if (entry.at.kind !== 'run' || entry.at.runId !== run.id) throw new BundleError(`${where} holds run "${run.id}", not the run its name says; the bundle is damaged`);
  if (run.notebook_id !== notebookId) throw new BundleError(`${where}: the run belongs to notebook ${run.notebook_id}, not to the bundle's notebook; the bundle is damaged`);
  if (run.status === 'running') throw new BundleError(`${where}: the run is still running; only finished runs can be imported`);
  const notebook = revisions.get(run.revision_id);
  if (!notebook) throw new BundleError(`${where}: the run's revision ${run.revision_id.slice(0, 12)} is not in the bundle; the bundle is incomplete`);
  if (!notebook.cells.some((c) => c.id === run.cell_id && c.type === 'experiment')) {
    throw new BundleError(`${where}: the run's cell "${run.cell_id}" is not an experiment cell of revision ${run.revision_id.slice(0, 12)}; the bundle is damaged`);
  }
  const seqs = new Set<number>();
  for (const p of doc.points) {
    if (seqs.has(p.seq)) throw new BundleError(`${where}: two points have seq ${p.seq}; the bundle is damaged`);
    seqs.add(p.seq);
  }
  const checkSeq = (seq: number | null, what: string) => {
    if (seq !== null && !seqs.has(seq)) throw new BundleError(`${where}: ${what} refers to point seq ${seq}, which the run does not have; the bundle is damaged`);
  };
  doc.placement.forEach((s, i) => checkSeq(s.point_seq, `placement[${i}]`));
  const artifacts = doc.artifacts.map((a, i) => {
    checkSeq(a.point_seq, `artifacts[${i}]`);
    const data = byPath.get(artifactPath(run.id, i))?.data;
    if (!data) throw new BundleError(`${where}: artifact ${i} ("${a.name}") has no file ${artifactPath(run.id, i)}; the bundle is incomplete`);
    if (data.length !== a.size || sha256(data) !== a.sha256) throw new BundleError(`${where}: artifact ${i} ("${a.name}") does not match its size and sha256; the bundle is damaged`);
    return data;
  });
  return { doc, artifacts };
}

/** A run document in today's shape; a version-1 one is read as written, then its points upgraded. */
function readRunDoc(file: string, e: Entry, version: Manifest['version']): RunDoc {
  if (version !== 1) return parseBundleJson(file, e.path, e.data, RunDoc);
  const old = parseBundleJson(file, e.path, e.data, RunDocV1);
  return { ...old, points: old.points.map(pointFromV1) };
}

/** Read and check a whole bundle. Throws BundleError naming the first problem found. */
export function readBundle(file: string): VerifiedBundle {
  const entries = readArchive(file);
  const manifest = readManifest(file, entries);
  checkListed(file, manifest, entries);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const nbEntry = byPath.get(NOTEBOOK_PATH);
  if (!nbEntry) throw new BundleError(`${file} has no ${NOTEBOOK_PATH}; the bundle is incomplete`);
  const notebook = parseBundleJson(file, NOTEBOOK_PATH, nbEntry.data, NotebookDoc);
  const { id, name } = notebook.notebook;
  if (manifest.notebook.id !== id || manifest.notebook.name !== name) {
    throw new BundleError(`${file}: ${MANIFEST_PATH} and ${NOTEBOOK_PATH} name different notebooks; the bundle is damaged`);
  }
  try {
    checkName(name);
  } catch (e) {
    throw new BundleError(`${file}: ${(e as Error).message}`);
  }
  const revisions = checkRevisions(file, notebook);
  const runs: VerifiedRun[] = [];
  const artifactCounts = new Map<string, number>();
  for (const e of entries) {
    if (e.at.kind !== 'run') continue;
    const run = checkRun(file, e, readRunDoc(file, e, manifest.version), id, revisions, byPath);
    runs.push(run);
    artifactCounts.set(run.doc.run.id, run.artifacts.length);
  }
  for (const e of entries) {
    if (e.at.kind === 'artifact' && e.at.index >= (artifactCounts.get(e.at.runId) ?? 0)) {
      throw new BundleError(`${file}: "${e.path}" is not an artifact of any run in the bundle; the bundle was altered, do not import it`);
    }
  }
  return { manifest, notebook, runs };
}
