// A plot cell: which experiment and axes, and the chart of that experiment's latest run.
import { useEffect, useMemo } from 'react';
import { plotAxes, type Notebook, type PlotCell as PlotCellT } from '../../../../electron/engine/notebook/schema';
import { plotCellFigure } from '../../charts/figures';
import { latestRun, useRuns } from '../../stores/runs';
import { SelectInput, TextInput } from '../fields/inputs';
import { Plot } from '../Plot';
import { CellErrors } from './CellErrors';
import { CellFrame } from './CellFrame';

const AXES = plotAxes.map((a) => ({ value: a }));
const SERIES = ['backend', 'workers', 'connections'].map((v) => ({ value: v }));

export function PlotCell({ index, cell, count, notebook }: { index: number; cell: PlotCellT; count: number; notebook: Notebook }) {
  const run = useRuns((s) => latestRun(s.runs, cell.experiment));
  const results = useRuns((s) => (run ? (s.results[run.id] ?? null) : null));
  useEffect(() => {
    if (run) void useRuns.getState().loadResults(run.id);
  }, [run?.id]);
  const figure = useMemo(() => plotCellFigure(cell, results), [cell, results]);
  const experiments = notebook.cells.filter((c) => c.type === 'experiment').map((c) => ({ value: c.id, label: c.title ? `${c.id} — ${c.title}` : c.id }));
  const at = (k: string) => ['cells', index, k];
  return (
    <CellFrame index={index} cell={cell} count={count}>
      <div className="form plot-form">
        <TextInput label="title" path={at('title')} optional wide />
        <SelectInput label="experiment" path={at('experiment')} options={experiments} />
        <SelectInput label="x" path={at('x')} options={AXES} />
        <SelectInput label="y" path={at('y')} options={AXES} />
        <SelectInput label="series" path={at('series')} options={SERIES} />
      </div>
      <CellErrors index={index} claimed={['id', 'title', 'experiment', 'x', 'y', 'series']} />
      <Plot figure={figure} name={`${cell.id}${run ? `-${run.id.slice(0, 8)}` : ''}`} testId={`plot-${cell.id}`} height={300} />
    </CellFrame>
  );
}
