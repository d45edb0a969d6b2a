// Per configuration: each run's median (over its repeats, with the range and n) and its ratio to
// the baseline run.
import type { CompareRow } from '../../charts/figures';
import type { CompareMetric } from '../../stores/compare';
import { formatLatencyUs, formatRate } from '../../format';

export function CompareTable({ rows, runs, baselineIndex, metric }: { rows: CompareRow[]; runs: string[]; baselineIndex: number; metric: CompareMetric }) {
  const fmt = metric === 'requests_per_s' ? formatRate : formatLatencyUs;
  return (
    <div className="table-scroll">
    <table className="grid compact compare-table" data-testid="compare-table">
      <thead>
        <tr>
          <th>backend</th>
          <th>configuration</th>
          {runs.map((r, i) => (
            <th key={i} className="num" colSpan={2}>
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
              <FragmentCells key={i} median={fmt(c.median)} range={c.n > 1 ? `${fmt(c.min)}–${fmt(c.max)}` : ''} n={c.n} warned={c.warned} ratio={i === baselineIndex ? null : c.ratio} />
            ))}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

function FragmentCells({ median, range, n, warned, ratio }: { median: string; range: string; n: number; warned: number; ratio: number | null }) {
  const cls = ratio === null ? '' : ratio >= 1.02 ? 'up' : ratio <= 0.98 ? 'down' : '';
  return (
    <>
      <td className="num" title={range ? `range ${range}, n=${n}` : `n=${n}`}>
        {median}
        {n > 1 && <span className="muted"> n={n}</span>}
        {warned > 0 && (
          <span className="plot-warned" title={`${warned} of these points carry warnings from the load generator`}>
            {' '}⚠
          </span>
        )}
      </td>
      <td className={`num ratio ${cls}`} data-testid="ratio">
        {ratio === null ? '' : `×${ratio.toFixed(3)}`}
      </td>
    </>
  );
}
