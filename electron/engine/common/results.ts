// What `replay` produces: one document holding the notebook as run and every run it made.
import type { EnvironmentSnapshot, PlacementSample, PointRecord, RunHostRecord, RunRecord } from '../model';
import type { Notebook } from './notebook/schema';
import type { GateResult } from './stats/gate';
import type { ConfigComparison, ConfigSummary, RunNoise } from './statistics';

// 2: points of any driver and protocol (kind, config, rates, warnings; LoadResult of issue 11).
// 3: summaries (median with its 95% CI per configuration and metric), comparisons against the
//    reference backend with verdicts, the A/A noise guard, CPU per point, the gate (issue 12).
export const RESULTS_FORMAT = 'saio-lab/results@3';

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
  /** Per run, backend, configuration and metric: n, median, its 95% CI, min/max, CV. */
  summaries: ConfigSummary[];
  /** Per run, configuration and metric: every backend against the cell's reference backend. */
  comparisons: ConfigComparison[];
  /** Per run: the A/A noise guard. */
  noise: RunNoise[];
  /** Per cell: this run against the previous comparable run (replay --gate); empty without --gate. */
  gates: CellGate[];
}

/**
 * What the lab reports of a notebook's runs (the API's runs.report): everything of a replay's
 * document but its wall time, which only the one who replayed knows.
 */
export type RunsReport = Omit<ReplayResults, 'elapsed_s'>;

export interface CellGate {
  cell_id: string;
  run_id: string;
  /** The run compared with, or null when there was none comparable. */
  previous_run: string | null;
  result: GateResult;
}
