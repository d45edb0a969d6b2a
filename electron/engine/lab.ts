// The lab engine: one object per open database, the functions every front end (CLI, desktop,
// web mode) calls. It owns no UI; progress and live output leave through callbacks.
import type { NotebookRecord, PlacementSample, PointRecord, ProgressEvent, RevisionRecord, RunRecord } from './model';
import { diffRevisions, headRevision, history, LabError, loadRevision, requireNotebook, requireRevision, restoreRevision } from './notebooks';
import type { Change } from './notebook/diff';
import type { Notebook } from './common/notebook/schema';
import { recoverInterrupted, recoverRemote, type Recovered, type RemoteRecovery } from './recovery';
import type { RunResults, RunsReport } from './common/results';
import { RESULTS_FORMAT } from './common/results';
import { comparableRun, gateCell } from './report/gate-run';
import { notebookStatistics } from './common/statistics';
import type { OutputChunk } from './runner/processes';
import { GuestPool } from './hosts/qemu/pool';
import { runCell } from './runner/runner';
import { runsDir } from './locations';
import { Store } from './store/store';
import { exportBundle } from './bundle/export';
import { importBundle, type ImportReport } from './bundle/import';

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  onOutput?: (c: OutputChunk) => void;
  /** Run processes under a pseudo-terminal (UI runs: a live terminal); default pipes. */
  pty?: boolean;
}

export class Lab {
  readonly store: Store;
  /** Runs found interrupted when this lab opened its database. */
  readonly recovered: Recovered[];

  constructor(readonly dbPath: string) {
    this.store = new Store(dbPath);
    this.recovered = recoverInterrupted(this.store);
  }

  close(): void {
    this.store.close();
  }

  /**
   * What the interrupted runs left on other hosts: stopped and removed over ssh (bounded in time),
   * one line per host in each run's reason. Once per lab start, before any new run.
   */
  async recoverRemote(): Promise<RemoteRecovery[]> {
    const runs = this.recovered.filter((r) => r.remote_hosts.length > 0);
    return runs.length > 0 ? recoverRemote(this.store, runs) : [];
  }

  listNotebooks(): NotebookRecord[] {
    return this.store.listNotebooks();
  }

  notebook(ref: string): NotebookRecord {
    return requireNotebook(this.store, ref);
  }

  /** The notebook's content at a revision (default: its head). */
  content(ref: string, revRef?: string): { notebook: NotebookRecord; revision: RevisionRecord; content: Notebook } {
    const notebook = this.notebook(ref);
    const revision = revRef ? requireRevision(this.store, notebook, revRef) : headRevision(this.store, notebook);
    return { notebook, revision, content: loadRevision(this.store, revision.id) };
  }

  history(ref: string): RevisionRecord[] {
    return history(this.store, this.notebook(ref));
  }

  diff(ref: string, a: string, b?: string): { from: RevisionRecord; to: RevisionRecord; changes: Change[] } {
    const nb = this.notebook(ref);
    const from = requireRevision(this.store, nb, a);
    const to = b ? requireRevision(this.store, nb, b) : headRevision(this.store, nb);
    return { from, to, changes: diffRevisions(this.store, from, to) };
  }

  restore(ref: string, rev: string): { revision: RevisionRecord; created: boolean } {
    const nb = this.notebook(ref);
    return restoreRevision(this.store, nb, requireRevision(this.store, nb, rev));
  }

  runs(ref: string): RunRecord[] {
    return this.store.listRuns(this.notebook(ref).id);
  }

  runResults(runId: string): RunResults {
    const run = this.store.getRun(runId) ?? this.store.findRun(runId);
    if (!run) throw new LabError(`no run "${runId}"`);
    return {
      run,
      environment: this.store.getEnvironment(run.id) ?? null,
      placement: this.store.listPlacement(run.id),
      points: this.store.listPoints(run.id),
      hosts: this.store.listRunHosts(run.id),
    };
  }

  /** A point as stored, with the placement samples taken while it ran (what a UI adds to a live run). */
  pointResults(runId: string, seq: number): { point: PointRecord; placement: PlacementSample[] } | null {
    const point = this.store.getPoint(runId, seq);
    return point ? { point, placement: this.store.listPlacement(runId, point.id) } : null;
  }

  /** Run the experiment cells of a notebook's head (all of them, or the ones named). */
  async runNotebook(ref: string, opts: RunHooks & { cells?: string[]; quick?: boolean }): Promise<RunRecord[]> {
    const { notebook, revision, content } = this.content(ref);
    const cells = content.cells.filter((c) => c.type === 'experiment');
    for (const id of opts.cells ?? []) {
      if (!cells.some((c) => c.id === id)) throw new LabError(`notebook "${notebook.name}" has no experiment cell "${id}"`);
    }
    const out: RunRecord[] = [];
    // A QEMU host boots once for the cells placed on it, and is powered off when they are done.
    const guests = new GuestPool();
    try {
      for (const cell of cells) {
        if (cell.type !== 'experiment') continue;
        if (opts.cells && !opts.cells.includes(cell.id)) continue;
        if (opts.signal?.aborted) break;
        out.push(
          await runCell(this.store, {
            notebookId: notebook.id,
            revisionId: revision.id,
            cell,
            quick: opts.quick ?? false,
            runsDir: runsDir(this.dbPath),
            signal: opts.signal,
            onProgress: opts.onProgress,
            onOutput: opts.onOutput,
            pty: opts.pty,
            hosts: content.hosts,
            guests,
          }),
        );
      }
    } finally {
      await guests.close();
    }
    return out;
  }

  /**
   * The report of a notebook's runs (a replay's, in the order given): each run's results, the
   * statistics a report shows, and with `gate` each run against the latest comparable run of its
   * cell that started before it (any run of the notebook: a bundle's, an earlier replay's).
   */
  report(ref: string, runIds: readonly string[], opts: { gate?: { threshold: number } } = {}): RunsReport {
    const { notebook, revision, content } = this.content(ref);
    const results = runIds.map((id) => this.runResults(id));
    const foreign = results.find((r) => r.run.notebook_id !== notebook.id);
    if (foreign) throw new LabError(`notebook "${notebook.name}" has no run "${foreign.run.id}"`);
    // Candidates are all the notebook's runs: comparableRun takes only those of the same cell that started before.
    const earlier = this.store.listRuns(notebook.id).map((run) => ({ run, environment: this.store.getEnvironment(run.id) ?? null }));
    const gate = opts.gate;
    const gates = gate
      ? results.map((r) => {
          const prev = comparableRun(earlier, r.run, r.environment);
          const previous = 'run' in prev ? { run: prev.run, points: this.store.listPoints(prev.run.id) } : prev;
          return gateCell(r, previous, { threshold: gate.threshold });
        })
      : [];
    return {
      format: RESULTS_FORMAT,
      generated_at: new Date().toISOString(),
      notebook: { id: notebook.id, name: notebook.name, revision_id: revision.id, content },
      runs: results,
      quick: results.length > 0 && results.every((r) => r.run.quick),
      ...notebookStatistics(results, content),
      gates,
    };
  }

  exportBundle(ref: string, file: string) {
    return exportBundle(this.store, ref, file);
  }

  importBundle(file: string, opts: { as?: string } = {}): ImportReport {
    return importBundle(this.store, file, opts);
  }
}
