// Planning beyond the first rounds: repeats until the answer is clear. While the cell's policy has
// a target_ci and any (backend, configuration) has a median interval of requests/s wider than it,
// run one more round of every configuration (backends still alternated), up to policy.max. What
// was decided for each series is kept with the run (repeats.json) and said in the progress.
import { roundDecision } from '../common/stats/repeats';
import type { ExperimentCell } from '../common/notebook/schema';
import type { PointRecord, ProgressEvent } from '../model';
import { planRound, repeatPolicyOf, repeatsOf, type PlannedPoint } from './plan';

/** What the rounds need from the run walking its points (point.ts). */
export interface RoundsContext {
  cell: ExperimentCell;
  quick: boolean;
  signal?: AbortSignal;
  /** The run's points so far, as stored. */
  points(): PointRecord[];
  runPoint(p: PlannedPoint): Promise<void>;
  /** More points than planned: the progress counts them. */
  planMore(n: number): void;
  progress(point: number, phase: ProgressEvent['phase'], label: string): void;
  keep(name: string, content: Buffer): void;
  /** Thrown when the run was cancelled. */
  cancelled(): Error;
}

export async function repeatUntilClear(ctx: RoundsContext, planned: number): Promise<void> {
  const policy = repeatPolicyOf(ctx.cell, ctx.quick);
  if (policy.target_ci === null) return;
  let round = repeatsOf(ctx.cell, ctx.quick);
  let seq = planned;
  for (;;) {
    const decision = roundDecision(policy, series(ctx.points()));
    const last = decision.action === 'stop' || round >= policy.max;
    if (last) {
      ctx.keep('repeats.json', Buffer.from(`${JSON.stringify({ policy, rounds: round, decisions: decision.decisions }, null, 2)}\n`));
      ctx.progress(seq, 'done', `repeats: ${decision.decisions.map((d) => `${d.label}: ${d.message}`).join('; ')}`);
      return;
    }
    if (ctx.signal?.aborted) throw ctx.cancelled();
    round++;
    const more = planRound(ctx.cell, round, seq + 1);
    ctx.planMore(more.length);
    ctx.progress(
      seq,
      'starting',
      `round ${round} of at most ${policy.max}: ${decision.pending.length} series still above ±${(policy.target_ci * 100).toFixed(1)}% (first: ${decision.pending[0] ?? ''})`,
    );
    for (const p of more) {
      if (ctx.signal?.aborted) throw ctx.cancelled();
      await ctx.runPoint(p);
    }
    seq += more.length;
  }
}

/** requests/s of the ok measured points so far, per backend and configuration. */
function series(points: readonly PointRecord[]): { label: string; samples: number[] }[] {
  const out = new Map<string, number[]>();
  for (const p of points) {
    if (p.kind !== 'measure') continue;
    const label = `${p.backend} ${p.config}`;
    const samples = out.get(label) ?? [];
    if (p.status === 'ok' && p.requests_per_s !== null) samples.push(p.requests_per_s);
    out.set(label, samples);
  }
  return [...out].map(([label, samples]) => ({ label, samples }));
}
