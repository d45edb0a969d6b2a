// Runs list beside the selected run's details.
import { useRuns } from '../../stores/runs';
import { RunDetail } from './RunDetail';
import { RunList } from './RunList';

export function RunsView() {
  const selected = useRuns((s) => s.selectedRun ?? s.runs[0]?.id ?? null);
  return (
    <div className="runs-view">
      <div className="runs-side">
        <RunList compact />
      </div>
      <div className="runs-main">{selected ? <RunDetail run={selected} /> : <div className="muted">No runs yet: Ctrl+Enter runs the focused experiment cell.</div>}</div>
    </div>
  );
}
