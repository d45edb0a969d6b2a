// An experiment cell: the form (or its JSON), errors no field claims, and its latest run.
import { useEffect, useState } from 'react';
import type { ExperimentCell as ExperimentCellT } from '../../../../electron/engine/common/notebook/schema';
import { runNow } from '../../lab/actions';
import { latestRun, useRuns } from '../../stores/runs';
import { CellErrors } from './CellErrors';
import { CellFrame } from './CellFrame';
import { CellJson } from './CellJson';
import { EXPERIMENT_FIELDS, ExperimentForm } from './ExperimentForm';
import { LatestRun } from './LatestRun';

export function ExperimentCell({ index, cell, count }: { index: number; cell: ExperimentCellT; count: number }) {
  const [mode, setMode] = useState<'form' | 'json'>('form');
  const run = useRuns((s) => latestRun(s.runs, cell.id));
  const runId = run?.id;
  const runStatus = run?.status;
  // Its points again when the run changes or ends.
  useEffect(() => {
    if (runId) void useRuns.getState().loadResults(runId);
  }, [runId, runStatus]);
  const tools = (
    <>
      <div className="seg" role="group" aria-label="Edit as">
        <button className={mode === 'form' ? 'on' : ''} onClick={() => setMode('form')}>
          Form
        </button>
        <button className={mode === 'json' ? 'on' : ''} onClick={() => setMode('json')}>
          JSON
        </button>
      </div>
      <button className="small" title="Run this cell (Ctrl+Enter)" onClick={() => void runNow(cell.id)}>
        ▶ Run
      </button>
    </>
  );
  return (
    <CellFrame index={index} cell={cell} tools={tools} count={count}>
      {cell.title && mode === 'form' && <h3 className="cell-title">{cell.title}</h3>}
      {mode === 'form' ? <ExperimentForm index={index} /> : <CellJson index={index} cell={cell} />}
      <CellErrors index={index} claimed={mode === 'form' ? EXPERIMENT_FIELDS : []} />
      <LatestRun run={run} />
    </CellFrame>
  );
}
