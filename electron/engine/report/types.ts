// What `replay` produces: one document holding the notebook as run and every run it made.
import type { EnvironmentSnapshot, PlacementSample, PointRecord, RunHostRecord, RunRecord } from '../model';
import type { Notebook } from '../notebook/schema';
import type { Comparison } from './regression';

// 2: points of any driver and protocol (kind, config, rates, warnings; LoadResult of issue 11).
export const RESULTS_FORMAT = 'saio-lab/results@2';

export interface RunResults {
  run: RunRecord;
  environment: EnvironmentSnapshot | null;
  placement: PlacementSample[];
  points: PointRecord[];
  /** The other hosts the run used, and this machine when it had a role beside them (issue 15); absent or empty: this machine only. */
  hosts?: RunHostRecord[];
}

export interface ReplayResults {
  format: typeof RESULTS_FORMAT;
  generated_at: string;
  notebook: { id: string; name: string; revision_id: string; content: Notebook };
  /** In the order of the notebook's experiment cells. */
  runs: RunResults[];
  /** Wall time of the whole replay, in seconds. */
  elapsed_s: number;
  quick: boolean;
  /** Each configuration against the previous run of its cell (empty when there was none). */
  comparisons: Comparison[];
  /** Drop beyond which a comparison counts as a regression (0.3: below 70% of before). */
  tolerance: number;
}
