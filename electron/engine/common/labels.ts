// How the report and the UI name what a chart axis or a table column shows: the sweep axes
// (common/axes.ts) and the point's metrics (common/metrics.ts), from their one definition each.
import { AXIS_LABELS, SWEEP_AXES, type SweepAxis } from './axes';
import { METRICS, type Metric } from './metrics';

export type PlotField = SweepAxis | Metric;

export function isSweepAxis(f: string): f is SweepAxis {
  return (SWEEP_AXES as readonly string[]).includes(f);
}

export function fieldLabel(f: PlotField): string {
  return isSweepAxis(f) ? AXIS_LABELS[f] : METRICS[f].label;
}

export type { Metric };
