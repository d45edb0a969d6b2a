// The open notebook: its head revision as saved, the draft being edited, and the validation
// errors of the draft (instantly from the schema, then authoritatively from the engine).
import { create } from 'zustand';
import type { NotebookRecord, RevisionRecord } from '../../../electron/engine/model';
import type { Cell } from '../../../electron/engine/common/notebook/schema';
import { call, errorText, LabCallError } from '../lab/client';
import { validateLocal } from '../validation/local';
import type { NotebookError, Segment } from '../validation/paths';
import { autoMessage, newCell, setIn, type Draft } from './draft';

export const VALIDATE_DELAY_MS = 250;

interface EditorState {
  ref: string | null;
  notebook: NotebookRecord | null;
  revision: RevisionRecord | null;
  saved: Draft | null;
  draft: Draft | null;
  errors: NotebookError[];
  /** Which validator produced `errors` for the current draft. */
  errorsFrom: 'local' | 'engine' | null;
  message: string;
  loading: boolean;
  saving: boolean;
  error: string | null;
  open(ref: string): Promise<void>;
  close(): void;
  setDraft(draft: Draft): void;
  setField(path: readonly Segment[], value: unknown): void;
  addCell(type: Cell['type'], at?: number): string;
  removeCell(index: number): void;
  moveCell(index: number, delta: -1 | 1): void;
  setMessage(message: string): void;
  /** Validate with the engine now (normally debounced after each change). */
  validateNow(): Promise<void>;
  /** Save the draft as a new revision; resolves to the revision, or null when it was refused. */
  save(message?: string): Promise<RevisionRecord | null>;
}

let timer: ReturnType<typeof setTimeout> | null = null;
let generation = 0;

export function isDirty(s: Pick<EditorState, 'saved' | 'draft'>): boolean {
  return s.draft !== null && JSON.stringify(s.draft) !== JSON.stringify(s.saved);
}

export const useEditor = create<EditorState>()((set, get) => {
  const changed = (draft: Draft) => {
    generation++;
    set({ draft, errors: validateLocal(draft), errorsFrom: 'local' });
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void get().validateNow(), VALIDATE_DELAY_MS);
  };
  return {
    ref: null,
    notebook: null,
    revision: null,
    saved: null,
    draft: null,
    errors: [],
    errorsFrom: null,
    message: '',
    loading: false,
    saving: false,
    error: null,
    open: async (ref) => {
      generation++;
      if (timer) clearTimeout(timer);
      set({ ref, loading: true, error: null });
      try {
        const r = await call('notebooks.get', { ref });
        if (get().ref !== ref) return;
        set({
          notebook: r.notebook,
          revision: r.revision,
          saved: r.content,
          draft: r.content,
          errors: [],
          errorsFrom: null,
          message: '',
          loading: false,
        });
      } catch (e) {
        if (get().ref === ref) set({ loading: false, error: errorText(e) });
      }
    },
    close: () => {
      generation++;
      set({ ref: null, notebook: null, revision: null, saved: null, draft: null, errors: [], errorsFrom: null });
    },
    setDraft: (draft) => changed(draft),
    setField: (path, value) => {
      const d = get().draft;
      if (d) changed(setIn(d, path, value));
    },
    addCell: (type, at) => {
      const d = get().draft;
      if (!d) return '';
      const cell = newCell(d, type);
      const cells = d.cells.slice();
      cells.splice(at ?? cells.length, 0, cell);
      changed({ ...d, cells });
      return cell.id;
    },
    removeCell: (index) => {
      const d = get().draft;
      if (d) changed({ ...d, cells: d.cells.filter((_, i) => i !== index) });
    },
    moveCell: (index, delta) => {
      const d = get().draft;
      const j = index + delta;
      if (!d || j < 0 || j >= d.cells.length) return;
      const cells = d.cells.slice();
      [cells[index], cells[j]] = [cells[j]!, cells[index]!];
      changed({ ...d, cells });
    },
    setMessage: (message) => set({ message }),
    validateNow: async () => {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      const draft = get().draft;
      if (!draft) return;
      const mine = generation;
      try {
        const r = await call('notebooks.validate', { content: draft });
        if (mine !== generation) return;
        set({ errors: r.ok ? [] : r.errors, errorsFrom: 'engine' });
      } catch (e) {
        // The local errors stay; the engine being unreachable is reported, not hidden.
        if (mine === generation) set({ error: `validation: ${errorText(e)}` });
      }
    },
    save: async (message) => {
      const { ref, draft, saved } = get();
      if (!ref || !draft) return null;
      const text = (message ?? get().message).trim() || autoMessage(saved, draft);
      if (timer) clearTimeout(timer);
      const mine = ++generation;
      set({ saving: true, error: null });
      try {
        const r = await call('notebooks.save', { ref, content: draft, message: text });
        if (!r.ok) {
          set({ saving: false, errors: r.errors, errorsFrom: 'engine' });
          return null;
        }
        // The engine stores the canonical (defaults filled) form: reload it as the new baseline,
        // keeping any edits made while the save was in flight.
        const head = await call('notebooks.get', { ref });
        const editedMeanwhile = mine !== generation;
        set({
          notebook: head.notebook,
          revision: head.revision,
          saved: head.content,
          draft: editedMeanwhile ? get().draft : head.content,
          errors: editedMeanwhile ? get().errors : [],
          errorsFrom: editedMeanwhile ? get().errorsFrom : 'engine',
          message: '',
          saving: false,
        });
        return r.revision;
      } catch (e) {
        const errors = e instanceof LabCallError && e.error.errors ? e.error.errors : get().errors;
        set({ saving: false, error: errorText(e), errors });
        return null;
      }
    },
  };
});
