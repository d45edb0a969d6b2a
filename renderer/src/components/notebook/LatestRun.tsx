// One line under an experiment cell: its latest run, live progress while it runs.
import type { RunRecord } from '../../../../electron/engine/model';
import { useRuns } from '../../stores/runs';
import { useUi } from '../../stores/ui';
import { ago, shortId } from '../../format';

export function LatestRun({ run }: { run: RunRecord | null }) {
  const results = useRuns((s) => (run ? s.results[run.id] : undefined));
  if (!run) return <div className="latest-run muted">Not run yet. Ctrl+Enter runs this cell.</div>;
  const ok = results ? results.points.filter((p) => p.status === 'ok').length : null;
  return (
    <div className="latest-run">
      <span className={`status status-${run.status}`}>{run.status}</span>
      <span>
        run <code>{shortId(run.id)}</code> {ago(run.started_at)}
        {run.quick ? ' · quick' : ''}
      </span>
      <span className="muted">
        {ok ?? '…'} / {run.points_planned} points ok
      </span>
      {run.reason && (
        <span className="muted" title={run.reason}>
          · {run.reason}
        </span>
      )}
      <button
        className="link"
        onClick={() => {
          useRuns.getState().select(run.id);
          useUi.getState().setView('runs');
        }}
      >
        details
      </button>
    </div>
  );
}
