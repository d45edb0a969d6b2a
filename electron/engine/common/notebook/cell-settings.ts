// What a cell's settings mean where more than the runner reads them (the planner, the statistics
// of a run, the UI). Pure.
import type { RepeatPolicy } from '../stats/repeats';
import type { ExperimentCell } from './schema';

/** The cell's repeat policy (a plain count n is { min: n, max: n, target_ci: null }). */
export function repeatPolicyOf(cell: ExperimentCell, quick: boolean): RepeatPolicy {
  const r = quick ? (cell.quick?.repeats ?? cell.repeats) : cell.repeats;
  return typeof r === 'number' ? { min: r, max: r, target_ci: null } : { min: r.min, max: r.max, target_ci: r.target_ci ?? null };
}

/** The backend the others are compared with: `reference`, else baseline when run, else the first. */
export function referenceOf(cell: Pick<ExperimentCell, 'backends' | 'reference'>): string {
  return cell.reference ?? (cell.backends.includes('baseline') ? 'baseline' : cell.backends[0]!);
}
