// `saio-lab export`: write a notebook, its whole history and its finished runs to one bundle file.
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../atomic-write';
import { jsonText } from '../common/json-text';
import type { NotebookRecord, RevisionRecord, RunRecord } from '../model';
import { sha256, type Store } from '../store/store';
import { artifactPath, BUNDLE_FORMAT, BUNDLE_VERSION, BundleError, MANIFEST_PATH, NOTEBOOK_PATH, producer, runPath } from './format';
import type { ArtifactDoc, Manifest, NotebookDoc, PlacementDoc, RunDoc } from './schemas';
import { packTar, type TarFile } from './tar';

export interface ExportReport {
  file: string;
  revisions: number;
  runs: number;
  artifacts: number;
  /** Size of the bundle file. */
  bytes: number;
  /** Runs still running when exported: left out, since their record is not final. */
  skipped_running: string[];
}

const json = (value: unknown): Buffer => Buffer.from(jsonText(value), 'utf8');

/** Parents before children, otherwise oldest first (created_at can go backwards with the clock). */
function parentsFirst(newestFirst: readonly RevisionRecord[], notebook: NotebookRecord): RevisionRecord[] {
  const byId = new Map(newestFirst.map((r) => [r.id, r]));
  const done = new Set<string>();
  const out: RevisionRecord[] = [];
  for (const rev of [...newestFirst].reverse()) {
    const chain: RevisionRecord[] = [];
    for (let r: RevisionRecord | undefined = rev; r && !done.has(r.id);) {
      chain.push(r);
      done.add(r.id);
      if (r.parent_id === null) break;
      r = byId.get(r.parent_id);
      if (!r) throw new BundleError(`revision ${chain[chain.length - 1]?.id.slice(0, 12)} of "${notebook.name}" has a parent outside the notebook; cannot export a partial history`);
    }
    out.push(...chain.reverse());
  }
  return out;
}

function runFiles(store: Store, run: RunRecord): { doc: RunDoc; artifacts: TarFile[] } {
  const points = store.listPoints(run.id);
  const seqOf = new Map(points.map((p) => [p.id, p.seq]));
  const toSeq = (pointId: number | null, what: string): number | null => {
    if (pointId === null) return null;
    const seq = seqOf.get(pointId);
    if (seq === undefined) throw new BundleError(`run ${run.id}: ${what} refers to point ${pointId}, which is not a point of this run; the database is inconsistent`);
    return seq;
  };
  const artifacts: TarFile[] = [];
  const artifactDocs: ArtifactDoc[] = store.listArtifacts(run.id).map((a, index) => {
    const data = store.artifactContent(a.id) ?? Buffer.alloc(0);
    if (data.length !== a.size || sha256(data) !== a.sha256) {
      throw new BundleError(`run ${run.id}: artifact "${a.name}" no longer matches its recorded sha256; the database is damaged, not exporting it`);
    }
    artifacts.push({ path: artifactPath(run.id, index), data });
    return { point_seq: toSeq(a.point_id, `artifact "${a.name}"`), kind: a.kind, name: a.name, size: a.size, sha256: a.sha256 };
  });
  const placement: PlacementDoc[] = store.listPlacement(run.id).map(({ point_id, ...s }) => ({ point_seq: toSeq(point_id, 'a placement sample'), ...s }));
  const doc: RunDoc = {
    run,
    environment: store.getEnvironment(run.id) ?? null,
    points: points.map(({ id: _id, run_id: _run, ...p }) => p),
    placement,
    artifacts: artifactDocs,
  };
  const hosts = store.listRunHosts(run.id);
  if (hosts.length > 0) doc.hosts = hosts as NonNullable<RunDoc['hosts']>;
  return { doc, artifacts };
}

/** Everything to archive, read in one transaction so it is one consistent state of the store. */
function collect(store: Store, notebook: NotebookRecord) {
  return store.transaction(() => {
    if (!notebook.head_revision_id) throw new BundleError(`notebook "${notebook.name}" has no revision; nothing to export`);
    const revisions = parentsFirst(store.listRevisions(notebook.id), notebook);
    const notebookDoc: NotebookDoc = {
      notebook: { id: notebook.id, name: notebook.name, created_at: notebook.created_at, head_revision_id: notebook.head_revision_id },
      revisions: revisions.map((r) => ({
        id: r.id,
        parent_id: r.parent_id,
        content_sha256: r.content_sha256,
        message: r.message,
        created_at: r.created_at,
        content: store.revisionContent(r.id) ?? '',
      })),
    };
    const files: TarFile[] = [{ path: NOTEBOOK_PATH, data: json(notebookDoc) }];
    const skipped: string[] = [];
    let runs = 0;
    let artifacts = 0;
    for (const run of store.listRuns(notebook.id)) {
      if (run.status === 'running') {
        skipped.push(run.id);
        continue;
      }
      const r = runFiles(store, run);
      files.push({ path: runPath(run.id), data: json(r.doc) }, ...r.artifacts);
      runs += 1;
      artifacts += r.artifacts.length;
    }
    return { files, revisions: revisions.length, runs, artifacts, skipped };
  });
}

/** A failed export leaves no half file and whatever was at `file` before. */
function writeAtomically(file: string, data: Buffer): void {
  try {
    writeFileAtomic(file, data);
  } catch (e) {
    throw new BundleError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function exportBundle(store: Store, notebookRef: string, file: string): ExportReport {
  const notebook = store.findNotebook(notebookRef);
  if (!notebook) throw new BundleError(`no notebook "${notebookRef}" in ${store.path} (see \`saio-lab list\`)`);
  const c = collect(store, notebook);
  const createdAt = new Date();
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    created_at: createdAt.toISOString(),
    producer: producer(),
    notebook: { id: notebook.id, name: notebook.name },
    files: c.files.map((f) => ({ path: f.path, size: f.data.length, sha256: sha256(f.data) })),
  };
  const tar = packTar([{ path: MANIFEST_PATH, data: json(manifest) }, ...c.files], Math.floor(createdAt.getTime() / 1000));
  const gz = gzipSync(tar, { level: 9 });
  writeAtomically(file, gz);
  return { file, revisions: c.revisions, runs: c.runs, artifacts: c.artifacts, bytes: gz.length, skipped_running: c.skipped };
}
