// Per configuration: each run's median (over its repeats) with its 95% CI and n, and against the
// baseline run the ratio of medians with its 95% CI, p and verdict (`~` uncoloured).
import type { CompareRow } from '../../charts/compare';
import type { Verdict } from '../../../../electron/engine/common/stats/compare';
import type { CompareMetric } from '../../stores/compare';
import { formatLatencyUs, formatRate } from '../../format';

export function CompareTable({ rows, runs, baselineIndex, metric }: { rows: CompareRow[]; runs: string[]; baselineIndex: number; metric: CompareMetric }) {
  const fmt = metric === 'requests_per_s' || metric === 'requests_per_cpu_s' ? formatRate : formatLatencyUs;
  return (
    <div className="table-scroll">
      <table className="grid compact compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th>backend</th>
            <th>configuration</th>
            {runs.map((r, i) => (
              <th key={i} className="num" colSpan={3}>
                {r}
                {i === baselineIndex ? ' (baseline)' : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <td>{row.backend}</td>
              <td>
                <code>{row.config}</code>
              </td>
              {row.cells.map((c, i) => (
                <FragmentCells
                  key={i}
                  median={fmt(c.median)}
                  ci={c.ci_low === null ? null : `${fmt(c.ci_low)} – ${fmt(c.ci_high)}`}
                  range={c.n > 1 ? `${fmt(c.min)}–${fmt(c.max)}` : ''}
                  n={c.n}
                  warned={c.warned}
                  ratio={i === baselineIndex ? null : c.ratio}
                  ratioCi={i === baselineIndex ? null : c.ratio_ci}
                  verdict={i === baselineIndex ? null : c.verdict}
                  reason={c.reason}
                  p={c.p_value}
                />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function FragmentCells({
  median,
  ci,
  range,
  n,
  warned,
  ratio,
  ratioCi,
  verdict,
  reason,
  p,
}: {
  median: string;
  ci: string | null;
  range: string;
  n: number;
  warned: number;
  ratio: number | null;
  ratioCi: [number, number] | null;
  verdict: Verdict | null;
  reason: string | null;
  p: number | null;
}) {
  // Colour only a verdict: a ratio the data cannot tell from 1 (`~`) stays plain.
  const cls = verdict === 'faster' ? 'verdict-faster' : verdict === 'slower' ? 'verdict-slower' : '';
  return (
    <>
      <td className="num" title={`${ci ? `95% CI of the median ${ci}; ` : 'no 95% CI below 6 repeats; '}${range ? `range ${range}, ` : ''}n=${n}`}>
        {median}
        {ci && (
          <span className="muted ci" data-testid="median-ci">
            {' '}
            [{ci}]
          </span>
        )}
        {n > 1 && <span className="muted"> n={n}</span>}
        {warned > 0 && (
          <span className="plot-warned" title={`${warned} of these points carry warnings from the load generator`}>
            {' '}
            ⚠
          </span>
        )}
      </td>
      <td className="num ratio" data-testid="ratio" title={ratioCi ? `95% CI ×${ratioCi[0].toFixed(3)} – ×${ratioCi[1].toFixed(3)}${p !== null ? `, p = ${p.toPrecision(2)}` : ''}` : ''}>
        {ratio === null ? '' : `×${ratio.toFixed(3)}`}
        {ratioCi && (
          <span className="muted ci">
            {' '}
            [×{ratioCi[0].toFixed(3)} – ×{ratioCi[1].toFixed(3)}]
          </span>
        )}
      </td>
      <td data-testid="compare-verdict" className={cls} title={reason ?? ''}>
        {verdict ?? ''}
      </td>
    </>
  );
}
