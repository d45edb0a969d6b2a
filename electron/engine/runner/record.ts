// Recording: what a run keeps as it goes. A point is committed the moment it ends — its record,
// its files and the placement samples taken while it ran, in one transaction — so a killed lab
// loses at most the point in flight; run-wide artifacts beside it; and at the end the run's
// status and reason, read from the points it stored.
import { existsSync, readFileSync } from 'node:fs';
import type { PlacementSample, PointRecord } from '../model';
import type { NewPoint, Store } from '../store/store';

/** A file of a point's directory to keep with it. */
export interface ArtifactFile {
  kind: string;
  name: string;
  path: string;
}

/** A point that ended, with its files (those that exist) and the samples taken while it ran. */
export function recordPoint(store: Store, runId: string, point: NewPoint, files: readonly ArtifactFile[], samples: readonly PlacementSample[]): void {
  store.transaction(() => {
    const id = store.insertPoint(point);
    for (const f of files) {
      if (!existsSync(f.path)) continue;
      store.insertArtifact({ run_id: runId, point_id: id, kind: f.kind, name: f.name }, readFileSync(f.path));
    }
    store.insertPlacement(
      runId,
      samples.map((s) => ({ ...s, point_id: id })),
    );
  });
}

/** Something the whole run produced (the repeat policy's decisions, the sampler's cost, a backend's log). */
export function recordRunArtifact(store: Store, runId: string, kind: string, name: string, content: Buffer): void {
  store.insertArtifact({ run_id: runId, point_id: null, kind, name }, content);
}

/**
 * How the run ended, from its stored points: failed when a point failed, a point was not verified
 * or a backend found something wrong; ok otherwise, with what a reader must know (skipped points,
 * points carrying warnings) as the reason.
 */
export function runOutcome(points: readonly PointRecord[], planned: number, backendProblems: readonly string[]): { status: 'ok' | 'failed'; reason: string | null } {
  const failed = points.filter((p) => p.status === 'failed');
  const skipped = points.filter((p) => p.status === 'skipped');
  const notVerified = points.filter((p) => p.status === 'ok' && !p.verified);
  const warned = points.filter((p) => p.status === 'ok' && p.warnings.length > 0);
  if (failed.length > 0) return { status: 'failed', reason: [`${failed.length} of ${planned} points failed; first: ${failed[0]?.reason ?? ''}`, ...backendProblems].join('; ') };
  const notes: string[] = [];
  if (skipped.length > 0) notes.push(`${skipped.length} of ${planned} points skipped: ${skipped[0]?.reason ?? ''}`);
  if (notVerified.length > 0) notes.push(`${notVerified.length} points not verified; first: ${notVerified[0]?.reason ?? ''}`);
  // Not a failure: the numbers are real, but a reader must know which ones to doubt.
  if (warned.length > 0) notes.push(`${warned.length} points carry warnings; first: ${warned[0]?.warnings[0] ?? ''}`);
  if (notVerified.length > 0 || backendProblems.length > 0) return { status: 'failed', reason: [...backendProblems, ...notes].join('; ') };
  return { status: 'ok', reason: notes.length > 0 ? notes.join('; ') : null };
}

/** A file of a point's directory as text; empty when there is none (a process that wrote nothing). */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
