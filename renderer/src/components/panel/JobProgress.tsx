// Progress of the running job (or the last one): point i of n, phase, elapsed and ETA.
import { isFinalPhase } from '../../../../electron/engine/common/runs';
import { useRuns } from '../../stores/runs';
import { duration, shortId } from '../../format';

export function JobProgress() {
  const jobs = useRuns((s) => s.jobs);
  const progress = useRuns((s) => s.progress);
  const notebookId = useRuns((s) => s.notebookId);
  const list = Object.values(jobs).filter((j) => j.notebook_id === notebookId);
  const job = list.find((j) => j.state === 'running') ?? list[list.length - 1];
  if (!job) return <div className="progress muted">No run yet in this session. Ctrl+Enter runs the focused experiment cell.</div>;
  const p = progress[job.job] ?? job.last_progress;
  const frac = p && p.points > 0 ? (p.point - (isFinalPhase(p.phase) ? 0 : 1)) / p.points : 0;
  return (
    <div className="progress" data-testid="progress" data-state={job.state}>
      <span className={`status status-${job.state}`}>{job.state}</span>
      {p ? (
        <>
          <span data-testid="progress-point">
            {/* Point 0: before the first point (a guest booting, the module step, kTLS), said in the label. */}
            {p.point === 0 ? `preparing ${p.points} points` : `point ${p.point} of ${p.points}`}
          </span>
          <span className="muted">{p.cell_id}</span>
          <span className="phase">{p.phase}</span>
          <span className="muted label">{p.label}</span>
          <div className="bar" aria-label="progress" role="progressbar" aria-valuenow={Math.round(frac * 100)} aria-valuemin={0} aria-valuemax={100}>
            <div style={{ width: `${Math.min(100, Math.max(0, frac * 100))}%` }} />
          </div>
          <span>{duration(p.elapsed_s)} elapsed</span>
          <span data-testid="eta">{job.state === 'running' ? `ETA ${duration(p.eta_s)}` : ''}</span>
        </>
      ) : (
        <span className="muted">starting…</span>
      )}
      <span className="muted">
        job {job.job.slice(0, 8)}
        {job.runs.length > 0 ? ` · runs ${job.runs.map(shortId).join(', ')}` : ''}
      </span>
      {job.error && <span className="bad">{job.error}</span>}
    </div>
  );
}
