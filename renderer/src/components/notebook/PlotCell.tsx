// A plot cell: which experiment and axes, and the chart of that experiment's latest run.
import { useEffect, useMemo } from 'react';
import { METRIC_NAMES, METRICS } from '../../../../electron/engine/common/metrics';
import { plotX, type Notebook, type PlotCell as PlotCellT } from '../../../../electron/engine/common/notebook/schema';
import { fieldLabel } from '../../../../electron/engine/common/labels';
import { plotCellFigure } from '../../charts/figures';
import { latestRun, useRuns } from '../../stores/runs';
import { MultiSelectInput, SelectInput, TextInput } from '../fields/inputs';
import { Plot } from '../Plot';
import { CellErrors } from './CellErrors';
import { CellFrame } from './CellFrame';

const X = plotX.map((a) => ({ value: a, label: `${a} — ${fieldLabel(a)}` }));
const Y = METRIC_NAMES.map((m) => ({ value: m, label: METRICS[m].label }));
const SERIES = ['backend', 'workers', 'connections', 'rate'].map((v) => ({ value: v }));

export function PlotCell({ index, cell, count, notebook }: { index: number; cell: PlotCellT; count: number; notebook: Notebook }) {
  const run = useRuns((s) => latestRun(s.runs, cell.experiment));
  const results = useRuns((s) => (run ? (s.results[run.id] ?? null) : null));
  const runId = run?.id;
  useEffect(() => {
    if (runId) void useRuns.getState().loadResults(runId);
  }, [runId]);
  const figure = useMemo(() => plotCellFigure(cell, results), [cell, results]);
  const experiments = notebook.cells.filter((c) => c.type === 'experiment').map((c) => ({ value: c.id, label: c.title ? `${c.id} — ${c.title}` : c.id }));
  const at = (k: string) => ['cells', index, k];
  return (
    <CellFrame index={index} cell={cell} count={count}>
      <div className="form plot-form">
        <TextInput label="title" path={at('title')} optional wide />
        <SelectInput label="experiment" path={at('experiment')} options={experiments} />
        <SelectInput label="x" path={at('x')} options={X} />
        <SelectInput label="series" path={at('series')} options={SERIES} />
        <MultiSelectInput label="y" path={at('y')} options={Y} hint="one metric, or several on one chart (p99 and p99.9)" />
      </div>
      <CellErrors index={index} claimed={['id', 'title', 'experiment', 'x', 'y', 'series']} />
      <Plot figure={figure} name={`${cell.id}${run ? `-${run.id.slice(0, 8)}` : ''}`} testId={`plot-${cell.id}`} height={300} />
    </CellFrame>
  );
}
