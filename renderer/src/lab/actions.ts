// What the toolbar, the keyboard and the desktop menu do. Each action works through the stores
// and reports its outcome as a notice, so every entry point behaves the same.
import { errorText } from './client';
import { downloadBytes, base64ToBytes, fileToBase64 } from './files';
import { useCompare } from '../stores/compare';
import { isDirty, useEditor } from '../stores/editor';
import { useHistory } from '../stores/history';
import { useNotebooks } from '../stores/notebooks';
import { activeJob, useRuns } from '../stores/runs';
import { useUi } from '../stores/ui';

const notify = (kind: 'info' | 'error', text: string) => useUi.getState().notify(kind, text);

export async function openNotebook(ref: string): Promise<void> {
  const editor = useEditor.getState();
  if (editor.ref !== ref && isDirty(editor) && !window.confirm('This notebook has unsaved edits. Leave them?')) return;
  useCompare.getState().reset();
  useUi.getState().focusCell(null);
  await editor.open(ref);
  const nb = useEditor.getState().notebook;
  if (!nb) return;
  await Promise.all([useRuns.getState().load(ref, nb.id), useUi.getState().view === 'history' ? useHistory.getState().load(ref) : null]);
}

export async function createNotebook(name: string, from: string | null): Promise<void> {
  try {
    const id = await useNotebooks.getState().create(name, from);
    useUi.getState().setCreating(false);
    useUi.getState().setView('notebook');
    await openNotebook(id);
    notify('info', `Created “${name}”`);
  } catch (e) {
    notify('error', `Could not create the notebook: ${errorText(e)}`);
  }
}

export async function saveNow(): Promise<boolean> {
  const s = useEditor.getState();
  if (!s.ref || !s.draft) return false;
  if (!isDirty(s)) {
    notify('info', 'Nothing to save: no edits since the last revision');
    return true;
  }
  const rev = await s.save();
  if (!rev) {
    const n = useEditor.getState().errors.length;
    notify('error', n > 0 ? `Not saved: ${n} problem${n > 1 ? 's' : ''} to fix (shown next to the fields)` : `Not saved: ${useEditor.getState().error ?? 'unknown error'}`);
    return false;
  }
  notify('info', `Saved revision ${rev.id.slice(0, 8)}: ${rev.message}`);
  void useNotebooks.getState().refresh();
  if (useHistory.getState().ref === s.ref) void useHistory.getState().load(s.ref);
  return true;
}

/** Run the focused experiment cell, or every experiment cell; unsaved edits are saved first. */
export async function runNow(onlyCell?: string | null): Promise<void> {
  const s = useEditor.getState();
  if (!s.ref || !s.draft) return;
  const runs = useRuns.getState();
  if (activeJob(runs)) {
    notify('error', 'A run of this notebook is already going: cancel it or wait');
    return;
  }
  if (isDirty(s) && !(await saveNow())) return;
  const focused = onlyCell === undefined ? useUi.getState().focusedCell : onlyCell;
  const draft = useEditor.getState().draft!;
  const cell = draft.cells.find((c) => c.id === focused && c.type === 'experiment');
  const job = await runs.start(cell ? [cell.id] : undefined);
  if (!job) {
    notify('error', `Could not start the run: ${useRuns.getState().error ?? 'unknown error'}`);
    return;
  }
  useUi.getState().togglePanel(true);
}

export async function cancelRun(): Promise<void> {
  const job = activeJob(useRuns.getState());
  if (job) await useRuns.getState().cancel(job.job);
}

export async function exportCurrent(): Promise<void> {
  const ref = useEditor.getState().ref;
  if (!ref) return;
  try {
    const b = await useNotebooks.getState().exportBundle(ref);
    downloadBytes(b.file_name, base64ToBytes(b.data_base64), 'application/gzip');
    notify('info', `Exported ${b.file_name}: ${b.revisions} revisions, ${b.runs} runs`);
  } catch (e) {
    notify('error', `Export failed: ${errorText(e)}`);
  }
}

export async function importFile(file: File): Promise<void> {
  try {
    const r = await useNotebooks.getState().importBundle(await fileToBase64(file));
    notify('info', `Imported “${r.name}”: ${r.revisions_added} new revisions, ${r.runs_added} new runs`);
    await openNotebook(r.id);
  } catch (e) {
    notify('error', `Import of ${file.name} failed: ${errorText(e)}`);
  }
}

export function showView(view: 'notebook' | 'history' | 'runs' | 'compare'): void {
  useUi.getState().setView(view);
  const ref = useEditor.getState().ref;
  if (view === 'history' && ref) void useHistory.getState().load(ref);
  if ((view === 'runs' || view === 'compare') && ref) void useRuns.getState().refreshRuns();
}

export function menu(command: string): void {
  switch (command) {
    case 'new':
      useUi.getState().setCreating(true);
      break;
    case 'import':
      useUi.getState().requestImport();
      break;
    case 'export':
      void exportCurrent();
      break;
    case 'run':
      void runNow();
      break;
    case 'open':
      document.querySelector<HTMLElement>('[data-nb-item]')?.focus();
      break;
  }
}
