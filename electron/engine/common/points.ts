// Rules about a run's points that every view shares. Pure.
import type { PointRecord } from '../model';

/** A point of the sweep (not a capacity probe): what tables of results, charts and comparisons use. */
export function isMeasured(p: Pick<PointRecord, 'kind'>): boolean {
  return p.kind === 'measure';
}

/** Points that completed with numbers worth showing: measured, status ok. */
export function okMeasured<P extends Pick<PointRecord, 'kind' | 'status'>>(points: readonly P[]): P[] {
  return points.filter((p) => p.kind === 'measure' && p.status === 'ok');
}
