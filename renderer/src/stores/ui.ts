// Which view is showing, the bottom panel, the focused cell and transient notices.
import { create } from 'zustand';

export type View = 'notebook' | 'history' | 'runs' | 'compare';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

interface UiState {
  view: View;
  panelOpen: boolean;
  /** The experiment cell Ctrl+Enter runs (null: every experiment cell). */
  focusedCell: string | null;
  notices: Notice[];
  /** The new-notebook form in the sidebar. */
  creating: boolean;
  /** Bumped to ask the import control to open its file picker (menu, keyboard). */
  importRequest: number;
  setCreating(open: boolean): void;
  requestImport(): void;
  setView(view: View): void;
  togglePanel(open?: boolean): void;
  focusCell(id: string | null): void;
  notify(kind: Notice['kind'], text: string): void;
  dismiss(id: number): void;
}

let nextNotice = 1;

export const useUi = create<UiState>()((set) => ({
  view: 'notebook',
  panelOpen: true,
  focusedCell: null,
  notices: [],
  creating: false,
  importRequest: 0,
  setCreating: (creating) => set({ creating }),
  requestImport: () => set((s) => ({ importRequest: s.importRequest + 1 })),
  setView: (view) => set({ view }),
  togglePanel: (open) => set((s) => ({ panelOpen: open ?? !s.panelOpen })),
  focusCell: (id) => set({ focusedCell: id }),
  notify: (kind, text) => {
    const id = nextNotice++;
    set((s) => ({ notices: [...s.notices.slice(-4), { id, kind, text }] }));
    if (kind === 'info') setTimeout(() => useUi.getState().dismiss(id), 6000);
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
