// Rules about runs and their progress that the engine, the CLI, the report and the UI share. Pure.
import type { ProgressEvent, RunRecord } from '../model';

/** The phases a point ends in: after one of these the point's record is stored and final. */
export const FINAL_PHASES = ['done', 'skipped', 'failed'] as const satisfies readonly ProgressEvent['phase'][];

export function isFinalPhase(phase: ProgressEvent['phase']): boolean {
  return (FINAL_PHASES as readonly string[]).includes(phase);
}

type Started = Pick<RunRecord, 'cell_id' | 'started_at' | 'id'>;

/**
 * The latest run of a cell: the one started last; two started at the same instant are ordered by
 * id, so the answer never depends on the order a list happens to be in.
 */
export function latestRun<T>(items: readonly T[], cellId: string, runOf: (item: T) => Started): T | null {
  let latest: T | null = null;
  for (const item of items) {
    const r = runOf(item);
    if (r.cell_id !== cellId) continue;
    const best = latest === null ? null : runOf(latest);
    if (!best || r.started_at > best.started_at || (r.started_at === best.started_at && r.id > best.id)) latest = item;
  }
  return latest;
}
