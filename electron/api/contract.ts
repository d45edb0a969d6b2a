// The one API between every UI and the lab engine. Each method has a zod schema for its input
// (validated at the boundary by every transport) and a TypeScript output type. Electron IPC and
// the web mode are two transports of exactly this map, and the CLI a client of it; the renderer
// imports this file, the two clients and engine/common/ only (the layer rule, eslint.config.mjs).
import { z } from 'zod';
import type { ArtifactRecord, NotebookRecord, PlacementSample, PointRecord, ProgressEvent, RevisionRecord, RunRecord } from '../engine/model';
import type { Change } from '../engine/notebook/diff';
import type { Notebook } from '../engine/common/notebook/schema';
import type { NotebookError } from '../engine/notebook/validate';
import type { RunResults, RunsReport } from '../engine/common/results';

const ref = z.string().min(1).max(200);
const revRef = z.string().min(4).max(64);
const runRef = z.string().min(4).max(64);

export const inputs = {
  'notebooks.list': z.strictObject({}),
  'notebooks.get': z.strictObject({ ref, rev: revRef.optional() }),
  /** Create a notebook from a shipped notebook (by file name in experiments/) or from content. */
  'notebooks.create': z.strictObject({ name: z.string().min(1).max(100), from: z.string().max(200).optional(), content: z.unknown().optional(), message: z.string().min(1).max(500).optional() }),
  /** Validate without saving: the editor shows errors next to fields. */
  'notebooks.validate': z.strictObject({ content: z.unknown() }),
  'notebooks.save': z.strictObject({ ref, content: z.unknown(), message: z.string().min(1).max(500) }),
  'notebooks.history': z.strictObject({ ref }),
  'notebooks.diff': z.strictObject({ ref, from: revRef, to: revRef.optional() }),
  'notebooks.restore': z.strictObject({ ref, rev: revRef }),
  'experiments.shipped': z.strictObject({}),
  'runs.list': z.strictObject({ ref }),
  'runs.get': z.strictObject({ run: runRef }),
  'runs.artifacts': z.strictObject({ run: runRef }),
  /** An artifact's bytes as UTF-8 text (raw logs and outputs are text). */
  'runs.artifact': z.strictObject({ id: z.number().int().min(1) }),
  /** Start running a notebook's experiment cells; progress and output arrive as events. */
  'runs.start': z.strictObject({ ref, cells: z.array(z.string().max(64)).max(500).optional(), quick: z.boolean().optional() }),
  'runs.cancel': z.strictObject({ job: z.string().min(1).max(64) }),
  'runs.jobs': z.strictObject({}),
  /**
   * The report of runs of a notebook (a replay's: what report.html and results.json hold), in the
   * order given; `gate`: each run against the latest comparable earlier run of its cell (same
   * machine, same kind) — a regression is `significantly worse by more than threshold` (0–1).
   */
  'runs.report': z.strictObject({
    ref,
    runs: z.array(runRef).max(500),
    gate: z.strictObject({ threshold: z.number().gt(0).lt(1) }).optional(),
  }),
  /** A bundle of the notebook, base64 (the web transport carries JSON). */
  'bundles.export': z.strictObject({ ref }),
  /** `file_name`: what the bundle's problems are said of (the file the user picked); default "the bundle". */
  'bundles.import': z.strictObject({
    data_base64: z
      .string()
      .min(1)
      .max(700 * 1024 * 1024),
    as: z.string().max(100).optional(),
    file_name: z.string().min(1).max(4096).optional(),
  }),
} as const;

export type Method = keyof typeof inputs;
export type Input<M extends Method> = z.infer<(typeof inputs)[M]>;

export interface NotebookSummary extends NotebookRecord {
  title: string;
  revisions: number;
  runs: number;
  last_run: RunRecord | null;
}

export interface JobInfo {
  job: string;
  notebook_id: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  runs: string[];
  last_progress: ProgressEvent | null;
  error: string | null;
}

export type Validation = { ok: true } | { ok: false; errors: NotebookError[] };

export interface Outputs {
  'notebooks.list': NotebookSummary[];
  'notebooks.get': { notebook: NotebookRecord; revision: RevisionRecord; content: Notebook };
  'notebooks.create': { notebook: NotebookRecord; revision: RevisionRecord };
  'notebooks.validate': Validation;
  /** Invalid content is not an exception: the errors come back for the editor to show. */
  'notebooks.save': { ok: true; revision: RevisionRecord; created: boolean } | { ok: false; errors: NotebookError[] };
  'notebooks.history': RevisionRecord[];
  'notebooks.diff': { from: RevisionRecord; to: RevisionRecord; changes: Change[] };
  'notebooks.restore': { revision: RevisionRecord; created: boolean };
  'experiments.shipped': { file: string; title: string }[];
  'runs.list': RunRecord[];
  'runs.get': RunResults;
  'runs.artifacts': ArtifactRecord[];
  'runs.artifact': { id: number; name: string; kind: string; text: string; truncated: boolean };
  'runs.start': JobInfo;
  'runs.cancel': JobInfo;
  'runs.jobs': JobInfo[];
  'runs.report': RunsReport;
  'bundles.export': { file_name: string; data_base64: string; runs: number; revisions: number; artifacts: number; bytes: number };
  'bundles.import': { notebook: { id: string; name: string }; revisions_added: number; revisions_present: number; runs_added: number; runs_present: number; head_moved: boolean };
}

/** Commands of the desktop app's menu, forwarded to the UI (which owns the dialogs and forms). */
export const menuCommands = ['new', 'open', 'import', 'export', 'run'] as const;
export type MenuCommand = (typeof menuCommands)[number];

/**
 * Events pushed from the engine to every connected UI. Output of runs started from a UI comes
 * from a pseudo-terminal: one merged stream, reported as 'stdout', with line ends as "\n".
 */
export type LabEvent =
  | { type: 'progress'; job: string; event: ProgressEvent }
  /** A point ended and is stored: the record and its placement samples, so a UI adds it to the run it shows instead of fetching the run again. */
  | { type: 'point'; job: string; run_id: string; point: PointRecord; placement: PlacementSample[] }
  | { type: 'output'; job: string; role: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'job'; job: JobInfo }
  /** Desktop only: a menu item was chosen. */
  | { type: 'menu'; command: MenuCommand };

/** Errors cross the boundary as data: a code the UI can switch on and a message for people. */
export interface ApiError {
  code: 'invalid_input' | 'not_found' | 'invalid_notebook' | 'bad_bundle' | 'conflict' | 'internal';
  message: string;
  /** For invalid_input / invalid_notebook: the problems by path. */
  errors?: NotebookError[];
}

export type Result<M extends Method> = { ok: true; value: Outputs[M] } | { ok: false; error: ApiError };

/** What a transport exposes to the renderer: one call function and one event subscription. */
export interface LabClient {
  call<M extends Method>(method: M, input: Input<M>): Promise<Result<M>>;
  subscribe(listener: (e: LabEvent) => void): () => void;
}

export const methods = Object.keys(inputs) as Method[];
