// One run: what ran where, its charts, its placement and its points.
import { useDeferredValue, useEffect } from 'react';
import { accelNote, runAccel } from '../../../../electron/engine/common/accel';
import { useRuns } from '../../stores/runs';
import { useThrottled } from '../useThrottled';
import { clock, formatBytes, shortId } from '../../format';
import { HostsView } from './HostsView';
import { PlacementView } from './PlacementView';
import { drawCostMs } from '../Plot';
import { liveRedrawMs } from '../../charts/draw-queue';
import { PointsTable } from './PointsTable';
import { ResultsCharts } from './ResultsCharts';
import { RunStatistics } from './RunStatistics';
import { useEditor } from '../../stores/editor';
import type { ExperimentCell } from '../../../../electron/engine/common/notebook/schema';

export function RunDetail({ run }: { run: string }) {
  const results = useRuns((s) => s.results[run]);
  // The saved head's cell gives the reference backend and the repeat policy (a run of an older
  // revision whose cell changed since is read with today's reference).
  const cells = useEditor((s) => s.saved?.cells);
  // Statistics and charts redraw from a copy that, while the run is live, follows its points at
  // most every 3 s, and less often once the charts on screen would take more than a tenth of the
  // page's time (a 200-point run's placement chart holds thousands of samples: liveRedrawMs) —
  // and deferred: the points table must keep up with the run whatever its size.
  const live = results?.run.status === 'running';
  const drawn = useDeferredValue(useThrottled(results, live ? liveRedrawMs(drawCostMs()) : 0));
  useEffect(() => {
    void useRuns.getState().loadResults(run);
  }, [run]);
  if (!results) return <div className="muted">loading run {shortId(run)}…</div>;
  const r = results.run;
  const env = results.environment;
  // Numbers measured in a QEMU guest carry how its CPU ran; TCG's are an emulated CPU's.
  const accel = runAccel(results.hosts);
  return (
    <div className="run-detail" data-testid="run-detail" data-run={r.id}>
      <h2>
        Run <code>{shortId(r.id)}</code> <span className={`status status-${r.status}`}>{r.status}</span>
        {accel && (
          <span className={`accel accel-${accel}`} data-testid="run-accel" title={accelNote(accel) ?? ''}>
            {' '}
            accel {accel}
          </span>
        )}
      </h2>
      {accel && <p className="muted accel-note">{accelNote(accel)}</p>}
      <dl className="facts">
        <dt>cell</dt>
        <dd>{r.cell_id}</dd>
        <dt>revision</dt>
        <dd>
          <code>{shortId(r.revision_id)}</code>
        </dd>
        <dt>started</dt>
        <dd>{clock(r.started_at)}</dd>
        <dt>ended</dt>
        <dd>{r.ended_at ? clock(r.ended_at) : '—'}</dd>
        <dt>points</dt>
        <dd>
          {results.points.length} / {r.points_planned}
          {r.quick ? ' (quick)' : ''}
        </dd>
        {r.reason && (
          <>
            <dt>reason</dt>
            <dd className="reason">{r.reason}</dd>
          </>
        )}
        {env && (
          <>
            <dt>machine</dt>
            <dd>
              {env.cpu_model}, {env.cpus} CPUs, {formatBytes(env.memory_bytes)}
            </dd>
            <dt>kernel</dt>
            <dd>{env.kernel}</dd>
            <dt>tools</dt>
            <dd>
              {env.server} {env.server_version} · {env.driver} {env.driver_version}
            </dd>
          </>
        )}
      </dl>
      <HostsView results={results} />
      <RunStatistics results={drawn ?? results} cell={cells?.find((c): c is ExperimentCell => c.type === 'experiment' && c.id === r.cell_id)} />
      <ResultsCharts results={drawn ?? results} />
      <PlacementView results={drawn ?? results} />
      <h3>Points</h3>
      <PointsTable points={results.points} accel={accel} />
    </div>
  );
}
