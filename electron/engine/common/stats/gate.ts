// The CI gate: this run's samples against the previous comparable run's, per configuration and
// metric. A case fails only when the change is a regression on both counts — significant by the
// Mann-Whitney U test at α (0.01: a gate that cries wolf gets switched off) AND worse than the
// threshold (10%: a significant 2% is real but not worth failing a build over). Runs are separate,
// so the samples are independent (no pairing). It replaces "median below 0.7× of before", which
// fired on noise and missed consistent 20% losses alike.
//
// "Worse" follows the metric's direction: for a rate, worse_by = 1 - current/previous; for a
// latency, worse_by = current/previous - 1 (p99 up by 15% is worse_by 0.15).
import { compare, fmtP, formatRatio, type Comparison } from './compare';
import { metricDirection, type Direction } from './metrics';
import { summarize, type Summary } from './summary';

export interface GateSeries {
  /** The configuration's key (backend × sweep values), as the store names it. */
  config: string;
  metric: string;
  samples: readonly number[];
}

export interface GateOptions {
  alpha?: number;
  threshold?: number;
  /** Directions of metrics metricDirection() does not know. */
  directions?: Readonly<Record<string, Direction>>;
  /** Why there is nothing to compare with, when `previous` is null (shown as is). */
  noPrevious?: string;
  /** What the previous run was (id, date), for the outputs. */
  previousLabel?: string;
}

export type GateStatus = 'pass' | 'fail' | 'skipped';

export interface GateCase {
  config: string;
  metric: string;
  direction: Direction | null;
  status: GateStatus;
  previous: Summary | null;
  current: Summary | null;
  comparison: Comparison | null;
  /** How much worse (fraction, ≥ 0 worse, < 0 better); null when not compared. */
  worse_by: number | null;
  message: string;
}

export interface GateResult {
  /** False when there was no comparable previous run: the gate then passes and says so. */
  comparable: boolean;
  passed: boolean;
  alpha: number;
  threshold: number;
  previous_label: string | null;
  cases: GateCase[];
  failures: number;
  message: string;
}

const key = (s: { config: string; metric: string }) => JSON.stringify([s.config, s.metric]);

function pct(x: number): string {
  return `${(Math.abs(x) * 100).toFixed(1)}%`;
}

function change(c: Comparison): string {
  const rel = c.ratio - 1;
  return `${rel < 0 ? 'down' : rel > 0 ? 'up' : 'unchanged'}${rel === 0 ? '' : ` ${pct(rel)}`}`;
}

function judge(prev: GateSeries, cur: GateSeries, direction: Direction, alpha: number, threshold: number): GateCase {
  const base = { config: cur.config, metric: cur.metric, direction, previous: summarize(prev.samples), current: summarize(cur.samples) };
  if (prev.samples.length === 0 || cur.samples.length === 0) {
    const side = prev.samples.length === 0 ? 'the previous run' : 'this run';
    return { ...base, status: 'skipped', comparison: null, worse_by: null, message: `no samples in ${side}` };
  }
  const c = compare(prev.samples, cur.samples, { metric: cur.metric, direction, alpha, paired: false });
  const worse_by = direction === 'higher' ? 1 - c.ratio : c.ratio - 1;
  const significant = c.p_value < alpha;
  const numbers = `${change(c)} (${formatRatio(c.ratio)}, 95% CI ${formatRatio(c.ci_low)}–${formatRatio(c.ci_high)}), p = ${fmtP(c.p_value)}`;
  let status: GateStatus = 'pass';
  let message: string;
  if (significant && worse_by > threshold) {
    status = 'fail';
    message = `regression: ${numbers} < ${alpha}, worse by ${pct(worse_by)} > ${pct(threshold)} threshold`;
  } else if (worse_by <= 0) message = `no regression: ${numbers}`;
  else if (!significant) {
    const floor =
      c.min_attainable_p !== null && c.min_attainable_p >= alpha
        ? `; ${c.n_candidate} vs ${c.n_reference} repeats cannot reach α = ${alpha} (smallest p ${fmtP(c.min_attainable_p)}): add repeats for a gate that can fail`
        : '';
    message = `not significant: ${numbers} ≥ ${alpha}${floor}`;
  } else message = `significant but within the threshold: ${numbers}, worse by ${pct(worse_by)} ≤ ${pct(threshold)}`;
  return { ...base, status, comparison: c, worse_by, message };
}

export function gate(previous: readonly GateSeries[] | null, current: readonly GateSeries[], o: GateOptions = {}): GateResult {
  const alpha = o.alpha ?? 0.01;
  const threshold = o.threshold ?? 0.1;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`gate: alpha must be between 0 and 1 (got ${alpha})`);
  if (!(threshold >= 0 && threshold < 1)) throw new RangeError(`gate: threshold is a fraction between 0 and 1, e.g. 0.1 for 10% (got ${threshold})`);
  const common = { alpha, threshold, previous_label: o.previousLabel ?? null };
  if (previous === null) {
    const why = o.noPrevious ?? 'no previous run to compare with';
    return { ...common, comparable: false, passed: true, cases: [], failures: 0, message: `gate passed without comparing: ${why}` };
  }
  const direction = (metric: string): Direction => o.directions?.[metric] ?? metricDirection(metric);
  const before = new Map(previous.map((s) => [key(s), s]));
  const cases: GateCase[] = [];
  for (const cur of current) {
    const prev = before.get(key(cur));
    before.delete(key(cur));
    if (!prev) {
      cases.push({
        config: cur.config,
        metric: cur.metric,
        direction: direction(cur.metric),
        status: 'skipped',
        previous: null,
        current: summarize(cur.samples),
        comparison: null,
        worse_by: null,
        message: 'not measured in the previous run',
      });
    } else cases.push(judge(prev, cur, direction(cur.metric), alpha, threshold));
  }
  for (const prev of before.values()) {
    cases.push({
      config: prev.config,
      metric: prev.metric,
      direction: direction(prev.metric),
      status: 'skipped',
      previous: summarize(prev.samples),
      current: null,
      comparison: null,
      worse_by: null,
      message: 'measured in the previous run but not in this one',
    });
  }
  const failures = cases.filter((c) => c.status === 'fail').length;
  const compared = cases.filter((c) => c.status !== 'skipped').length;
  const message =
    compared === 0
      ? 'gate passed without comparing: no configuration and metric was measured in both runs'
      : failures > 0
        ? `gate failed: ${failures} regression${failures === 1 ? '' : 's'} (significant at α = ${alpha} and worse by more than ${pct(threshold)}) in ${compared} compared`
        : `gate passed: no significant regression beyond ${pct(threshold)} in ${compared} compared (α = ${alpha})`;
  return { ...common, comparable: true, passed: failures === 0, cases, failures, message };
}
