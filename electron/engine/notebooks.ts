// Notebooks and their history: create, save a revision, history, diff, restore. Every edit is a
// new immutable revision; the notebook's head moves, nothing is overwritten.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { NotebookRecord, RevisionRecord } from './model';
import { diffNotebooks, type Change } from './notebook/diff';
import type { Notebook } from './common/notebook/schema';
import { canonicalText, NotebookInvalidError, parseNotebookText, validateNotebook } from './notebook/validate';
import { revisionId, sha256, type Store } from './store/store';

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

const now = () => new Date().toISOString();

/** Notebook names are what people type: keep them to a safe, readable set. */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new LabError(`"${name}" is not a notebook name: use letters, digits, ".", "_" and "-" (at most 100)`);
  }
}

function appendRevision(store: Store, notebookId: string, parent: string | null, nb: Notebook, message: string): RevisionRecord {
  const content = canonicalText(nb);
  const base = { notebook_id: notebookId, parent_id: parent, content_sha256: sha256(content), message, created_at: now() };
  const rev: RevisionRecord = { id: revisionId(base), ...base };
  store.insertRevision(rev, content);
  store.setHead(notebookId, rev.id);
  return rev;
}

export function createNotebook(store: Store, name: string, nb: Notebook, message = 'Create notebook'): { notebook: NotebookRecord; revision: RevisionRecord } {
  checkName(name);
  if (store.findNotebook(name)) throw new LabError(`a notebook named "${name}" exists already`);
  return store.transaction(() => {
    const id = store.newNotebookId();
    store.insertNotebook({ id, name, created_at: now(), head_revision_id: null });
    const revision = appendRevision(store, id, null, nb, message);
    return { notebook: store.getNotebook(id) as NotebookRecord, revision };
  });
}

export function requireNotebook(store: Store, ref: string): NotebookRecord {
  const nb = store.findNotebook(ref);
  if (!nb) throw new LabError(`no notebook "${ref}" in ${store.path} (see \`saio-lab list\`)`);
  return nb;
}

export function requireRevision(store: Store, notebook: NotebookRecord, ref: string): RevisionRecord {
  const rev = store.findRevision(notebook.id, ref);
  if (!rev) throw new LabError(`notebook "${notebook.name}" has no revision "${ref}" (see \`saio-lab history ${notebook.name}\`)`);
  return rev;
}

/** The notebook as of a revision. Stored content was validated when saved, so it parses. */
export function loadRevision(store: Store, revisionId: string): Notebook {
  const text = store.revisionContent(revisionId);
  if (text === undefined) throw new LabError(`no revision ${revisionId}`);
  const v = parseNotebookText(text);
  if (!v.ok) throw new NotebookInvalidError(`revision ${revisionId.slice(0, 12)}`, v.errors);
  return v.notebook;
}

export function headRevision(store: Store, notebook: NotebookRecord): RevisionRecord {
  const rev = notebook.head_revision_id ? store.getRevision(notebook.head_revision_id) : undefined;
  if (!rev) throw new LabError(`notebook "${notebook.name}" has no revision`);
  return rev;
}

/**
 * Save `nb` as the notebook's next revision. Returns the head unchanged when the content is the
 * same as the head's: saving twice does not make history noisy.
 */
export function saveRevision(store: Store, notebook: NotebookRecord, nb: Notebook, message: string): { revision: RevisionRecord; created: boolean } {
  const valid = validateNotebook(nb);
  if (!valid.ok) throw new NotebookInvalidError(`notebook "${notebook.name}"`, valid.errors);
  return store.transaction(() => {
    const head = headRevision(store, store.getNotebook(notebook.id) as NotebookRecord);
    if (head.content_sha256 === sha256(canonicalText(valid.notebook))) return { revision: head, created: false };
    return { revision: appendRevision(store, notebook.id, head.id, valid.notebook, message), created: true };
  });
}

export function history(store: Store, notebook: NotebookRecord): RevisionRecord[] {
  return store.listRevisions(notebook.id);
}

export function diffRevisions(store: Store, a: RevisionRecord, b: RevisionRecord): Change[] {
  return diffNotebooks(loadRevision(store, a.id), loadRevision(store, b.id));
}

/** Restoring makes a new revision with the old content: history only ever grows. */
export function restoreRevision(store: Store, notebook: NotebookRecord, rev: RevisionRecord): { revision: RevisionRecord; created: boolean } {
  return saveRevision(store, notebook, loadRevision(store, rev.id), `Restore revision ${rev.id.slice(0, 12)}`);
}

/** Read and validate a notebook file; errors name the file and each JSON path. */
export function readNotebookFile(path: string): Notebook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LabError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const v = parseNotebookText(text);
  if (!v.ok) throw new NotebookInvalidError(path, v.errors);
  return v.notebook;
}

export function nameFromPath(path: string): string {
  return basename(path).replace(/\.json$/i, '');
}
