// Runs of the notebook, newest first; click one to see its results; tick to compare.
import { useCompare } from '../../stores/compare';
import { useRuns } from '../../stores/runs';
import { clock, shortId } from '../../format';

export function RunList({ compact }: { compact?: boolean }) {
  const runs = useRuns((s) => s.runs);
  const selected = useRuns((s) => s.selectedRun);
  const picked = useCompare((s) => s.selected);
  if (runs.length === 0) return <div className="muted">No runs yet.</div>;
  return (
    <table className="grid runs" data-testid="run-list">
      <thead>
        <tr>
          <th title="compare">⇄</th>
          <th>run</th>
          <th>cell</th>
          <th>revision</th>
          <th>status</th>
          {!compact && <th>started</th>}
          <th>points</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.id} className={r.id === selected ? 'sel' : ''} data-run={r.id} onClick={() => useRuns.getState().select(r.id)}>
            <td onClick={(e) => e.stopPropagation()}>
              <input type="checkbox" aria-label={`compare run ${shortId(r.id)}`} checked={picked.includes(r.id)} onChange={() => useCompare.getState().toggle(r.id)} />
            </td>
            <td>
              <code>{shortId(r.id)}</code>
              {r.quick && <span className="tag">quick</span>}
            </td>
            <td>{r.cell_id}</td>
            <td>
              <code>{shortId(r.revision_id)}</code>
            </td>
            <td>
              <span className={`status status-${r.status}`} title={r.reason ?? ''}>
                {r.status}
              </span>
            </td>
            {!compact && <td className="muted nowrap">{clock(r.started_at)}</td>}
            <td>{r.points_planned}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
