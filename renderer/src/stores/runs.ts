// Runs of the open notebook, their results (fetched on demand, refreshed live while a run is
// going), and jobs: starting, cancelling, progress events.
import { create } from 'zustand';
import { latestRun as latestRunOf } from '../../../electron/engine/common/runs';
import type { JobInfo, LabEvent } from '../../../electron/api/contract';
import type { PlacementSample, PointRecord, ProgressEvent, RunRecord } from '../../../electron/engine/model';
import type { RunResults } from '../../../electron/engine/common/results';
import { call, errorText } from '../lab/client';
import { useNotebooks } from './notebooks';
import { useTerminal } from './terminal';

interface RunsState {
  ref: string | null;
  /** The notebook id behind `ref` (jobs and runs carry ids). */
  notebookId: string | null;
  runs: RunRecord[];
  results: Record<string, RunResults>;
  selectedRun: string | null;
  jobs: Record<string, JobInfo>;
  progress: Record<string, ProgressEvent>;
  quick: boolean;
  starting: boolean;
  error: string | null;
  load(ref: string, notebookId: string): Promise<void>;
  refreshRuns(): Promise<void>;
  loadResults(run: string, force?: boolean): Promise<RunResults | null>;
  select(run: string | null): void;
  setQuick(quick: boolean): void;
  start(cells?: string[]): Promise<JobInfo | null>;
  cancel(job: string): Promise<void>;
  refreshJobs(): Promise<void>;
  onEvent(e: LabEvent): void;
}

const inflight = new Map<string, Promise<RunResults | null>>();
const again = new Set<string>();

/** The run with one more (or one replaced) point and that point's placement samples, in stored order. */
export function withPoint(r: RunResults, point: PointRecord, placement: readonly PlacementSample[]): RunResults {
  if (r.points.some((p) => p.id === point.id)) return r;
  const points = [...r.points, point];
  if (points.length > 1 && points[points.length - 2]!.seq > point.seq) points.sort((a, b) => a.seq - b.seq);
  const samples = [...r.placement, ...placement];
  const last = r.placement.at(-1);
  const first = placement[0];
  if (last && first && (first.t_ms < last.t_ms || (first.t_ms === last.t_ms && first.tid < last.tid))) samples.sort((a, b) => a.t_ms - b.t_ms || a.tid - b.tid);
  return { ...r, points, placement: samples };
}

/** Latest run (by start time) of an experiment cell, or null. */
export function latestRun(runs: readonly RunRecord[], cellId: string): RunRecord | null {
  return latestRunOf(runs, cellId, (r) => r);
}

/** The job of this notebook that is running now, if any. */
export function activeJob(s: Pick<RunsState, 'jobs' | 'notebookId'>): JobInfo | null {
  const running = Object.values(s.jobs).filter((j) => j.state === 'running' && j.notebook_id === s.notebookId);
  return running[running.length - 1] ?? null;
}

export const useRuns = create<RunsState>()((set, get) => ({
  ref: null,
  notebookId: null,
  runs: [],
  results: {},
  selectedRun: null,
  jobs: {},
  progress: {},
  quick: true,
  starting: false,
  error: null,
  load: async (ref, notebookId) => {
    if (get().ref !== ref) set({ ref, notebookId, runs: [], selectedRun: null, error: null });
    await Promise.all([get().refreshRuns(), get().refreshJobs()]);
  },
  refreshRuns: async () => {
    const ref = get().ref;
    if (!ref) return;
    try {
      const runs = await call('runs.list', { ref });
      if (get().ref !== ref) return;
      runs.sort((a, b) => (a.started_at < b.started_at ? 1 : a.started_at > b.started_at ? -1 : 0));
      set({ runs, error: null });
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  loadResults: (run, force = false) => {
    const cached = get().results[run];
    if (cached && !force && cached.run.status !== 'running') return Promise.resolve(cached);
    const pending = inflight.get(run);
    if (pending) {
      if (force) again.add(run);
      return pending;
    }
    const p = (async () => {
      try {
        const r = await call('runs.get', { run });
        set((s) => ({ results: { ...s.results, [run]: r } }));
        return r;
      } catch (e) {
        set({ error: errorText(e) });
        return null;
      } finally {
        inflight.delete(run);
        if (again.delete(run)) void get().loadResults(run, true);
      }
    })();
    inflight.set(run, p);
    return p;
  },
  select: (run) => {
    set({ selectedRun: run });
    if (run) void get().loadResults(run);
  },
  setQuick: (quick) => set({ quick }),
  start: async (cells) => {
    const ref = get().ref;
    if (!ref) return null;
    set({ starting: true, error: null });
    try {
      const input = { ref, quick: get().quick, ...(cells && cells.length > 0 ? { cells } : {}) };
      const job = await call('runs.start', input);
      set((s) => ({ starting: false, jobs: { ...s.jobs, [job.job]: job } }));
      useTerminal.getState().note(job.job, `\x1b[1;36m── run started (job ${job.job}${get().quick ? ', quick durations' : ''}) ──\x1b[0m`);
      return job;
    } catch (e) {
      set({ starting: false, error: errorText(e) });
      return null;
    }
  },
  cancel: async (job) => {
    try {
      const j = await call('runs.cancel', { job });
      set((s) => ({ jobs: { ...s.jobs, [j.job]: j } }));
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  refreshJobs: async () => {
    try {
      const jobs = await call('runs.jobs', {});
      set((s) => {
        const next = { ...s.jobs };
        const progress = { ...s.progress };
        for (const j of jobs) {
          next[j.job] = j;
          if (j.last_progress && !progress[j.job]) progress[j.job] = j.last_progress;
        }
        return { jobs: next, progress };
      });
    } catch {
      // jobs are an optional view; events keep them current
    }
  },
  onEvent: (e) => {
    if (e.type === 'output') {
      useTerminal.getState().append({ job: e.job, role: e.role, stream: e.stream, data: e.data });
      return;
    }
    if (e.type === 'progress') {
      const p = e.event;
      set((s) => ({ progress: { ...s.progress, [e.job]: p } }));
      const known = get().runs.some((r) => r.id === p.run_id);
      if (!known && get().ref) void get().refreshRuns();
      return;
    }
    if (e.type === 'point') {
      // A point ended: the event carries it, so a run already shown grows by one point (and its
      // placement samples) instead of being fetched again whole. A run not loaded yet is loaded
      // (forced: a point stored after a fetch in flight read the run must not be missed).
      const shown = get().results[e.run_id];
      if (!shown) {
        void get().loadResults(e.run_id, true);
        return;
      }
      set((s) => {
        const r = s.results[e.run_id];
        return r ? { results: { ...s.results, [e.run_id]: withPoint(r, e.point, e.placement) } } : {};
      });
      return;
    }
    if (e.type !== 'job') return;
    const j = e.job;
    const before = get().jobs[j.job];
    set((s) => ({ jobs: { ...s.jobs, [j.job]: j } }));
    if (j.state !== 'running' && before?.state !== j.state) {
      const how = j.state === 'done' ? '\x1b[1;32m── run finished ──' : j.state === 'cancelled' ? '\x1b[1;33m── run cancelled ──' : `\x1b[1;31m── run failed: ${j.error ?? 'see the log'} ──`;
      useTerminal.getState().note(j.job, `${how}\x1b[0m`);
      void useNotebooks.getState().refresh();
      if (j.notebook_id === get().notebookId) {
        void get().refreshRuns();
        for (const r of j.runs) void get().loadResults(r, true);
      }
    }
  },
}));
