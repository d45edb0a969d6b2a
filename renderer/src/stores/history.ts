// A notebook's revisions, the diff between any two, and restoring one.
import { create } from 'zustand';
import type { Outputs } from '../../../electron/api/contract';
import type { RevisionRecord } from '../../../electron/engine/model';
import { call, errorText } from '../lab/client';

interface HistoryState {
  ref: string | null;
  revisions: RevisionRecord[];
  /** Diff endpoints: `from` older, `to` newer (null: head). */
  from: string | null;
  to: string | null;
  diff: Outputs['notebooks.diff'] | null;
  loading: boolean;
  error: string | null;
  load(ref: string): Promise<void>;
  select(which: 'from' | 'to', rev: string): Promise<void>;
  showDiff(): Promise<void>;
  restore(rev: string): Promise<RevisionRecord | null>;
}

export const useHistory = create<HistoryState>()((set, get) => ({
  ref: null,
  revisions: [],
  from: null,
  to: null,
  diff: null,
  loading: false,
  error: null,
  load: async (ref) => {
    const same = get().ref === ref;
    set({ ref, loading: true, error: null, ...(same ? {} : { revisions: [], from: null, to: null, diff: null }) });
    try {
      const revisions = await call('notebooks.history', { ref });
      if (get().ref !== ref) return;
      // Default diff: the previous revision against the head.
      const s = get();
      const from = s.from && revisions.some((r) => r.id === s.from) ? s.from : (revisions[1]?.id ?? null);
      const to = s.to && revisions.some((r) => r.id === s.to) ? s.to : (revisions[0]?.id ?? null);
      set({ revisions, from, to, loading: false });
      if (from && to) await get().showDiff();
      else set({ diff: null });
    } catch (e) {
      set({ loading: false, error: errorText(e) });
    }
  },
  select: async (which, rev) => {
    set(which === 'from' ? { from: rev } : { to: rev });
    await get().showDiff();
  },
  showDiff: async () => {
    const { ref, from, to } = get();
    if (!ref || !from) return;
    try {
      const diff = await call('notebooks.diff', to ? { ref, from, to } : { ref, from });
      if (get().from === from && get().to === to) set({ diff, error: null });
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  restore: async (rev) => {
    const ref = get().ref;
    if (!ref) return null;
    try {
      const r = await call('notebooks.restore', { ref, rev });
      set({ from: null, to: null });
      await get().load(ref);
      return r.revision;
    } catch (e) {
      set({ error: errorText(e) });
      return null;
    }
  },
}));
