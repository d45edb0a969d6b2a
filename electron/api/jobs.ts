// Runs started from a UI: each is a job running `lab.runNotebook` in the background, with its own
// AbortController, under a pseudo-terminal so the UI's live terminal shows what a shell would.
// Progress, output and job state leave as LabEvents to every subscriber. One job at a time per
// lab: two loads at once on the same machine would corrupt both measurements.
import { randomUUID } from 'node:crypto';
import { isFinalPhase } from '../engine/common/runs';
import type { Lab } from '../engine/lab';
import { LabError } from '../engine/notebooks';
import type { RunRecord } from '../engine/model';
import type { JobInfo, LabEvent } from './contract';
import { ApiFailure } from './errors';

interface Job {
  info: JobInfo;
  controller: AbortController;
  done: Promise<JobInfo>;
}

export interface JobManagerOptions {
  /** Run under a pseudo-terminal (default true: UI runs); false uses pipes like the CLI. */
  pty?: boolean;
  /** Finished jobs kept for `runs.jobs` (default 50). */
  keep?: number;
}

const copy = (info: JobInfo): JobInfo => ({ ...info, runs: [...info.runs] });

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly pty: boolean;
  private readonly keep: number;

  constructor(
    private readonly lab: Lab,
    opts: JobManagerOptions = {},
  ) {
    this.pty = opts.pty ?? true;
    this.keep = opts.keep ?? 50;
  }

  /** Every event to `listener` until the returned function is called. */
  subscribe(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Send an event to every subscriber (the runner's events, and the desktop menu's). */
  publish(e: LabEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a broken listener (a closed connection) must not stop a run or the other listeners
      }
    }
  }

  /** The job now running, if any. */
  running(): JobInfo | undefined {
    for (const j of this.jobs.values()) if (j.info.state === 'running') return copy(j.info);
    return undefined;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => copy(j.info));
  }

  get(job: string): JobInfo {
    const j = this.jobs.get(job);
    if (!j) throw new ApiFailure('not_found', `no job "${job}"`);
    return copy(j.info);
  }

  /**
   * Start running a notebook's experiment cells. Refused (conflict) while another job runs;
   * unknown notebooks and cells are refused before anything starts.
   */
  start(ref: string, opts: { cells?: string[]; quick?: boolean } = {}): JobInfo {
    const busy = this.running();
    if (busy) {
      throw new ApiFailure('conflict', `a run is in progress (job ${busy.job}); wait for it or cancel it: two loads at once would corrupt both measurements`);
    }
    const { notebook, content } = this.lab.content(ref);
    const experiments = content.cells.filter((c) => c.type === 'experiment').map((c) => c.id);
    for (const id of opts.cells ?? []) {
      if (!experiments.includes(id)) throw new LabError(`notebook "${notebook.name}" has no experiment cell "${id}"`);
    }
    if (experiments.length === 0) throw new ApiFailure('invalid_input', `notebook "${notebook.name}" has no experiment cell to run`);
    if (opts.cells && opts.cells.length === 0) throw new ApiFailure('invalid_input', 'cells: expected at least one cell id (or no "cells" to run them all)');

    const id = randomUUID();
    const controller = new AbortController();
    const info: JobInfo = { job: id, notebook_id: notebook.id, state: 'running', runs: [], last_progress: null, error: null };
    const job: Job = { info, controller, done: Promise.resolve(info) };
    this.jobs.set(id, job);
    this.prune();
    job.done = this.execute(job, notebook.id, opts);
    this.publish({ type: 'job', job: copy(info) });
    return copy(info);
  }

  private async execute(job: Job, notebookId: string, opts: { cells?: string[]; quick?: boolean }): Promise<JobInfo> {
    const { info, controller } = job;
    // Let the caller have its answer (and the 'running' event) before the first progress event.
    await new Promise((r) => setImmediate(r));
    try {
      const runs: RunRecord[] = await this.lab.runNotebook(notebookId, {
        cells: opts.cells,
        quick: opts.quick,
        signal: controller.signal,
        pty: this.pty,
        onProgress: (event) => {
          info.last_progress = event;
          if (!info.runs.includes(event.run_id)) info.runs.push(event.run_id);
          this.publish({ type: 'progress', job: info.job, event });
          if (isFinalPhase(event.phase)) {
            const ended = this.lab.pointResults(event.run_id, event.point);
            if (ended) this.publish({ type: 'point', job: info.job, run_id: event.run_id, ...ended });
          }
        },
        onOutput: (c) => this.publish({ type: 'output', job: info.job, role: c.role, stream: c.stream, data: c.data }),
      });
      for (const r of runs) if (!info.runs.includes(r.id)) info.runs.push(r.id);
      const failed = runs.find((r) => r.status === 'failed');
      if (controller.signal.aborted || runs.some((r) => r.status === 'cancelled')) {
        info.state = 'cancelled';
      } else if (failed) {
        info.state = 'failed';
        info.error = `run ${failed.id.slice(0, 8)} of cell "${failed.cell_id}" failed: ${failed.reason ?? 'no reason recorded'}`;
      } else {
        info.state = 'done';
      }
    } catch (e) {
      info.state = controller.signal.aborted ? 'cancelled' : 'failed';
      info.error = oneLine(e);
    }
    this.publish({ type: 'job', job: copy(info) });
    return copy(info);
  }

  /** Cancel a running job: the runner stops its processes and records the run as cancelled. */
  cancel(jobId: string): JobInfo {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiFailure('not_found', `no job "${jobId}"`);
    if (job.info.state === 'running') job.controller.abort();
    return copy(job.info);
  }

  /** Resolves with the job's final state. */
  async wait(jobId: string): Promise<JobInfo> {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiFailure('not_found', `no job "${jobId}"`);
    return job.done;
  }

  /** Cancel whatever runs and wait until it is recorded: call before closing the lab. */
  async shutdown(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => j.info.state === 'running');
    for (const j of running) j.controller.abort();
    await Promise.all(running.map((j) => j.done));
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.info.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - this.keep))) this.jobs.delete(j.info.job);
  }
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n')[0] ?? '').slice(0, 500);
}
