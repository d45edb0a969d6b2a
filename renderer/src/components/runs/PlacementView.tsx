// Where every thread ran during the run, and a per-thread summary of CPUs used.
import { useMemo } from 'react';
import type { RunResults } from '../../../../electron/engine/common/results';
import { placementFigure, placementRows } from '../../charts/placement';
import { Plot } from '../Plot';

export function PlacementView({ results }: { results: RunResults }) {
  const fig = useMemo(() => placementFigure(results), [results]);
  const rows = useMemo(() => placementRows(results.placement), [results]);
  const hosts = rows.some((r) => r.host !== undefined);
  return (
    <figure className="placement">
      <figcaption>Placement: one row per thread (pid/tid), time across, colour = CPU it ran on; kernel worker threads shaded with ◆ markers; dotted lines = point starts</figcaption>
      <Plot figure={fig} name={`placement-${results.run.id.slice(0, 8)}`} testId="chart-placement" />
      {rows.length > 0 && (
        <table className="grid compact">
          <thead>
            <tr>
              {hosts && <th>host</th>}
              <th>role</th>
              <th>thread</th>
              <th>pid/tid</th>
              <th>samples</th>
              <th>CPUs (share of samples)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} className={r.role === 'kernel-worker' ? 'kworker' : ''}>
                {hosts && <td>{r.host ?? 'local'}</td>}
                <td>{r.role}</td>
                <td>
                  <code>{r.comm}</code>
                </td>
                <td>
                  {r.pid}/{r.tid}
                </td>
                <td>{r.samples}</td>
                <td>
                  {[...r.cpus.entries()]
                    .sort((a, b) => a[0] - b[0])
                    .map(([cpu, n]) => `CPU ${cpu}: ${Math.round((100 * n) / r.samples)}%`)
                    .join(' · ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
