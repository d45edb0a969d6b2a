// The notebook list, the shipped notebooks one can start from, creating and bundling notebooks.
import { create } from 'zustand';
import type { NotebookSummary } from '../../../electron/api/contract';
import { NOTEBOOK_FORMAT } from '../../../electron/engine/common/notebook/schema';
import { call, errorText } from '../lab/client';

export interface Shipped {
  file: string;
  title: string;
}

interface NotebooksState {
  list: NotebookSummary[];
  shipped: Shipped[];
  loading: boolean;
  error: string | null;
  refresh(): Promise<void>;
  loadShipped(): Promise<void>;
  /** Create a notebook from a shipped file (`from`) or empty; resolves to the new notebook's id. */
  create(name: string, from: string | null): Promise<string>;
  importBundle(dataBase64: string, as?: string): Promise<{ id: string; name: string; runs_added: number; revisions_added: number }>;
  exportBundle(ref: string): Promise<{ file_name: string; data_base64: string; runs: number; revisions: number }>;
}

export function emptyNotebook(title: string) {
  return {
    format: NOTEBOOK_FORMAT,
    title,
    cells: [{ id: 'notes', type: 'markdown' as const, source: `# ${title}\n\nWhat this notebook measures, and why.` }],
  };
}

export const useNotebooks = create<NotebooksState>()((set, get) => ({
  list: [],
  shipped: [],
  loading: false,
  error: null,
  refresh: async () => {
    set({ loading: true });
    try {
      const list = await call('notebooks.list', {});
      set({ list, loading: false, error: null });
    } catch (e) {
      set({ loading: false, error: errorText(e) });
    }
  },
  loadShipped: async () => {
    try {
      set({ shipped: await call('experiments.shipped', {}) });
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  create: async (name, from) => {
    const input = from ? { name, from } : { name, content: emptyNotebook(name) };
    const r = await call('notebooks.create', input);
    await get().refresh();
    return r.notebook.id;
  },
  importBundle: async (data_base64, as) => {
    const r = await call('bundles.import', as ? { data_base64, as } : { data_base64 });
    await get().refresh();
    return { ...r.notebook, runs_added: r.runs_added, revisions_added: r.revisions_added };
  },
  exportBundle: (ref) => call('bundles.export', { ref }),
}));
