// A run's answer: every backend against the cell's reference (ratio of medians, its 95% CI, p,
// verdict — `~` uncoloured), the A/A noise flag, and each configuration's median with its 95% CI.
// Computed here from the stored points with the engine's own statistics (pure, no Node APIs).
import { useMemo } from 'react';
import type { ExperimentCell } from '../../../../electron/engine/common/notebook/schema';
import type { RunResults } from '../../../../electron/engine/common/results';
import { runStatistics, type ConfigComparison } from '../../../../electron/engine/common/statistics';
import { formatMetric, METRICS, type StatMetric } from '../../../../electron/engine/common/metrics';

const SHOWN: StatMetric[] = ['requests_per_s', 'requests_per_cpu_s', 'latency_p99_us'];
const label = (m: StatMetric) => METRICS[m].short;
const fmt = formatMetric;
const x = (r: number) => `×${r.toFixed(3)}`;

export function Verdict({ c }: { c: Pick<ConfigComparison, 'verdict' | 'reason' | 'metric'> }) {
  const word = c.verdict === '~' ? '~' : c.metric.startsWith('latency') ? (c.verdict === 'faster' ? 'lower' : 'higher') : c.verdict;
  return (
    <span className={`verdict verdict-${c.verdict === '~' ? 'none' : c.verdict}`} title={c.reason} data-testid="verdict">
      {word}
    </span>
  );
}

export function RunStatistics({ results, cell }: { results: RunResults; cell: ExperimentCell | undefined }) {
  const stats = useMemo(() => runStatistics(results.run.cell_id, results.run.id, results.points, cell, results.run.quick), [results, cell]);
  const comparisons = stats.comparisons.filter((c) => SHOWN.includes(c.metric)).sort((a, b) => SHOWN.indexOf(a.metric) - SHOWN.indexOf(b.metric));
  const summaries = stats.summaries.filter((s) => SHOWN.includes(s.metric));
  if (summaries.length === 0) return null;
  return (
    <div className="run-statistics" data-testid="run-statistics">
      <h3>Comparisons</h3>
      {stats.noise.noisy && (
        <p className="noisy" data-testid="noisy">
          {stats.noise.message}
        </p>
      )}
      {comparisons.length === 0 ? (
        <p className="muted">one backend: nothing to compare</p>
      ) : (
        <table className="grid compact" data-testid="run-comparisons">
          <thead>
            <tr>
              <th>configuration</th>
              <th>backend</th>
              <th>against</th>
              <th>metric</th>
              <th className="num">ratio</th>
              <th className="num">95% CI</th>
              <th className="num">p</th>
              <th>verdict</th>
            </tr>
          </thead>
          <tbody>
            {comparisons.map((c) => (
              <tr key={`${c.config} ${c.backend} ${c.metric}`}>
                <td>
                  <code>{c.config}</code>
                </td>
                <td>{c.backend}</td>
                <td>{c.reference}</td>
                <td>{label(c.metric)}</td>
                <td className="num">{x(c.ratio)}</td>
                <td className="num">
                  {x(c.ci_low)} – {x(c.ci_high)}
                </td>
                <td className="num">{c.p_value.toPrecision(2)}</td>
                <td>
                  <Verdict c={c} />
                  {c.aa && <span className="muted"> (A/A)</span>}
                  {c.noise && <span className="noisy"> {c.noise}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <table className="grid compact" data-testid="run-summaries">
        <thead>
          <tr>
            <th>backend</th>
            <th>configuration</th>
            <th>metric</th>
            <th className="num">n</th>
            <th className="num">median</th>
            <th className="num">95% CI of the median</th>
            <th className="num">CV</th>
            <th>repeats</th>
          </tr>
        </thead>
        <tbody>
          {summaries.map((s) => (
            <tr key={`${s.backend} ${s.config} ${s.metric}`}>
              <td>{s.backend}</td>
              <td>
                <code>{s.config}</code>
              </td>
              <td>{label(s.metric)}</td>
              <td className="num">{s.n}</td>
              <td className="num">{fmt(s.metric, s.median)}</td>
              <td className="num" title={s.ci_note ?? ''}>
                {s.ci_low === null ? 'none (n < 6)' : `${fmt(s.metric, s.ci_low)} – ${fmt(s.metric, s.ci_high)}`}
              </td>
              <td className="num">{s.cv === null ? '—' : `${(s.cv * 100).toFixed(1)}%`}</td>
              <td className="muted">{s.repeats?.message ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
