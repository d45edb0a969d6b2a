// Runs picked for comparison (any revision of the open notebook) and the baseline for ratios.
import { create } from 'zustand';
import type { CompareMetric } from '../../../electron/engine/common/metrics';

export type { CompareMetric };

interface CompareState {
  selected: string[];
  baseline: string | null;
  metric: CompareMetric;
  toggle(run: string): void;
  setBaseline(run: string): void;
  setMetric(m: CompareMetric): void;
  reset(): void;
}

export const useCompare = create<CompareState>()((set) => ({
  selected: [],
  baseline: null,
  metric: 'requests_per_s',
  toggle: (run) =>
    set((s) => {
      const selected = s.selected.includes(run) ? s.selected.filter((r) => r !== run) : [...s.selected, run];
      const baseline = s.baseline && selected.includes(s.baseline) ? s.baseline : (selected[0] ?? null);
      return { selected, baseline };
    }),
  setBaseline: (run) => set((s) => (s.selected.includes(run) ? { baseline: run } : {})),
  setMetric: (metric) => set({ metric }),
  reset: () => set({ selected: [], baseline: null }),
}));
