// `saio-lab import`: bring a bundle into the store. The whole file is verified first (verify.ts);
// then, in one transaction, what the store already has is compared with the bundle and only
// what is missing is written. Revisions and runs are keyed by their ids, so importing the same
// bundle twice changes nothing the second time. Nothing in a bundle is ever executed: server
// argv, configs and artifacts are stored as data.
import type { NotebookRecord, RunHostRecord } from '../model';
import { checkName } from '../notebooks';
import type { Store } from '../store/store';
import { BundleError } from './format';
import type { RevisionDoc } from './schemas';
import { readBundle, type VerifiedBundle, type VerifiedRun } from './verify';

export interface ImportReport {
  /** The notebook as it is named in this store (the bundle's name, --as, or the existing name). */
  notebook: { id: string; name: string };
  revisions_added: number;
  revisions_present: number;
  runs_added: number;
  runs_present: number;
  /** An existing notebook's head moved to the bundle's head (it was an ancestor of it). */
  head_moved: boolean;
  /** The notebook was not in the store before. */
  notebook_created: boolean;
}

interface Plan {
  local: NotebookRecord | undefined;
  name: string;
  revisions: RevisionDoc[];
  runs: VerifiedRun[];
  headMoved: boolean;
  report: ImportReport;
}

function checkedName(file: string, name: string): string {
  try {
    checkName(name);
  } catch (e) {
    throw new BundleError(`${file}: ${(e as Error).message}`);
  }
  return name;
}

/** True when `ancestor` is `from` or one of its parents, following the bundle's history. */
function isAncestor(ancestor: string, from: string, revisions: readonly RevisionDoc[]): boolean {
  const parentOf = new Map(revisions.map((r) => [r.id, r.parent_id]));
  for (let at: string | null | undefined = from; at; at = parentOf.get(at)) if (at === ancestor) return true;
  return false;
}

/** Decide what to write. Reads only; refuses (BundleError) before anything is written. */
function plan(store: Store, file: string, b: VerifiedBundle, as: string | undefined): Plan {
  const nb = b.notebook.notebook;
  // The notebook is identified by id: once present (under whatever name), the bundle extends it.
  const local = store.getNotebook(nb.id);
  let name: string;
  if (local) {
    name = local.name;
  } else {
    name = checkedName(file, as ?? nb.name);
    const clash = store.getNotebookByName(name);
    if (clash) {
      throw new BundleError(
        as === undefined
          ? `${file}: a different notebook named "${name}" is already in this database (id ${clash.id.slice(0, 8)}…, the bundle's is ${nb.id.slice(0, 8)}…); import it under another name with --as NEWNAME`
          : `${file}: a notebook named "${name}" is already in this database; choose another name with --as NEWNAME`,
      );
    }
  }

  const revisions: RevisionDoc[] = [];
  for (const rev of b.notebook.revisions) {
    const existing = store.getRevision(rev.id);
    if (!existing) revisions.push(rev);
    else if (existing.notebook_id !== nb.id) {
      throw new BundleError(`${file}: revision ${rev.id.slice(0, 12)} is already in this database as part of another notebook; it cannot be imported here`);
    }
  }
  const runs: VerifiedRun[] = [];
  for (const run of b.runs) {
    const existing = store.getRun(run.doc.run.id);
    if (!existing) runs.push(run);
    else if (existing.notebook_id !== nb.id) {
      throw new BundleError(`${file}: run ${run.doc.run.id} is already in this database as part of another notebook; it cannot be imported here`);
    }
  }

  // Move an existing head only forward along the bundle's history, never sideways.
  const headMoved =
    local !== undefined && local.head_revision_id !== nb.head_revision_id && (local.head_revision_id === null || isAncestor(local.head_revision_id, nb.head_revision_id, b.notebook.revisions));
  return {
    local,
    name,
    revisions,
    runs,
    headMoved,
    report: {
      notebook: { id: nb.id, name },
      revisions_added: revisions.length,
      revisions_present: b.notebook.revisions.length - revisions.length,
      runs_added: runs.length,
      runs_present: b.runs.length - runs.length,
      head_moved: headMoved,
      notebook_created: local === undefined,
    },
  };
}

function writeRun(store: Store, { doc, artifacts }: VerifiedRun): void {
  const runId = doc.run.id;
  store.insertFinishedRun(doc.run);
  // Point ids are local to this database: seq is how the bundle refers to points.
  const idOf = new Map<number, number>();
  for (const p of doc.points) idOf.set(p.seq, store.insertPoint({ ...p, run_id: runId }));
  const pointId = (seq: number | null): number | null => (seq === null ? null : (idOf.get(seq) as number));
  doc.artifacts.forEach((a, i) => {
    store.insertArtifact({ run_id: runId, point_id: pointId(a.point_seq), kind: a.kind, name: a.name }, artifacts[i] as Buffer);
  });
  store.insertPlacement(
    runId,
    doc.placement.map(({ point_seq, ...s }) => ({ ...s, point_id: pointId(point_seq) })),
  );
  if (doc.environment) store.putEnvironment(runId, doc.environment);
  for (const h of doc.hosts ?? []) store.putRunHost(runId, h as RunHostRecord);
}

function write(store: Store, b: VerifiedBundle, p: Plan): void {
  const nb = b.notebook.notebook;
  if (!p.local) store.insertNotebook({ id: nb.id, name: p.name, created_at: nb.created_at, head_revision_id: nb.head_revision_id });
  for (const { content, ...rev } of p.revisions) store.insertRevision({ ...rev, notebook_id: nb.id }, content);
  if (p.headMoved) store.setHead(nb.id, nb.head_revision_id);
  for (const run of p.runs) writeRun(store, run);
}

export function importBundle(store: Store, file: string, opts: { as?: string | undefined } = {}): ImportReport {
  const bundle = readBundle(file);
  try {
    return store.immediateTransaction(() => {
      const p = plan(store, file, bundle, opts.as);
      write(store, bundle, p);
      return p.report;
    });
  } catch (e) {
    // Every constraint is checked above; should the store still refuse (or be busy), the
    // transaction has rolled back, and the user gets one line rather than a stack trace.
    if ((e as Error).name !== 'SqliteError') throw e;
    throw new BundleError(`${file} could not be imported, nothing was written: ${(e as Error).message}`);
  }
}
