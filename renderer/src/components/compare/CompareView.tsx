// Two or more runs (from any revision) on one chart and in one table, with ratios to a baseline.
import { useCallback, useEffect, useMemo } from 'react';
import { compareFigure, compareTable } from '../../charts/compare';
import { METRIC_LABELS } from '../../charts/traces';
import { COMPARE_METRICS } from '../../../../electron/engine/common/metrics';
import { useCompare, type CompareMetric } from '../../stores/compare';
import { useRuns } from '../../stores/runs';
import { shortId } from '../../format';
import { Plot } from '../Plot';
import { RunList } from '../runs/RunList';
import { CompareTable } from './CompareTable';

const METRICS: CompareMetric[] = COMPARE_METRICS;

export function CompareView() {
  const selected = useCompare((s) => s.selected);
  const baseline = useCompare((s) => s.baseline);
  const metric = useCompare((s) => s.metric);
  const runs = useRuns((s) => s.runs);
  const results = useRuns((s) => s.results);
  useEffect(() => {
    for (const id of selected) void useRuns.getState().loadResults(id);
  }, [selected]);
  const loaded = useMemo(() => selected.map((id) => results[id]).filter((r) => r !== undefined), [selected, results]);
  const label = useCallback(
    (id: string) => {
      const r = runs.find((x) => x.id === id);
      return r ? `${shortId(id)} · ${r.cell_id} @${shortId(r.revision_id)}` : shortId(id);
    },
    [runs],
  );
  const figure = useMemo(
    () =>
      compareFigure(
        loaded.map((r) => ({ label: label(r.run.id), results: r })),
        metric,
      ),
    [loaded, label, metric],
  );
  const baseIndex = Math.max(
    0,
    loaded.findIndex((r) => r.run.id === baseline),
  );
  const rows = useMemo(() => compareTable(loaded, baseIndex, metric), [loaded, baseIndex, metric]);
  return (
    <div className="compare">
      <div className="compare-side">
        <p className="muted">Tick two or more runs (any revision); pick the baseline below.</p>
        <RunList compact />
      </div>
      <div className="compare-main" data-testid="compare">
        <div className="compare-controls">
          <label>
            metric{' '}
            <select value={metric} onChange={(e) => useCompare.getState().setMetric(e.target.value as CompareMetric)}>
              {METRICS.map((m) => (
                <option key={m} value={m}>
                  {METRIC_LABELS[m]}
                </option>
              ))}
            </select>
          </label>
          <span className="baseline-pick">
            baseline:{' '}
            {selected.map((id) => (
              <label key={id} className="check">
                <input type="radio" name="baseline" checked={baseline === id} onChange={() => useCompare.getState().setBaseline(id)} /> {shortId(id)}
              </label>
            ))}
          </span>
        </div>
        {selected.length < 2 ? (
          <div className="muted">Pick at least two runs to compare ({selected.length} picked).</div>
        ) : (
          <>
            <Plot figure={figure} name={`compare-${selected.map(shortId).join('-')}`} testId="chart-compare" />
            <CompareTable rows={rows} runs={loaded.map((r) => `${shortId(r.run.id)} @${shortId(r.run.revision_id)}`)} baselineIndex={baseIndex} metric={metric} />
          </>
        )}
      </div>
    </div>
  );
}
