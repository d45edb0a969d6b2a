// The notebook: its title, its cells in order, and a row to add cells.
import type { Cell } from '../../../../electron/engine/common/notebook/schema';
import { useShallow } from 'zustand/react/shallow';
import { useEditor } from '../../stores/editor';
import { useUi } from '../../stores/ui';
import { errorsAt } from '../../validation/paths';
import { TextInput } from '../fields/inputs';
import { ErrorList } from './CellErrors';
import { CellFrame } from './CellFrame';
import { HostsSection } from './HostsSection';
import { ExperimentCell } from './ExperimentCell';
import { MarkdownCell } from './MarkdownCell';
import { PlotCell } from './PlotCell';

function AddCell({ at }: { at: number }) {
  const add = (type: Cell['type']) => {
    const id = useEditor.getState().addCell(type, at);
    useUi.getState().focusCell(id);
  };
  return (
    <div className="add-cell">
      <span className="muted">add</span>
      <button className="small" onClick={() => add('markdown')}>
        + note
      </button>
      <button className="small" onClick={() => add('experiment')}>
        + experiment
      </button>
      <button className="small" onClick={() => add('plot')}>
        + plot
      </button>
    </div>
  );
}

export function NotebookView() {
  const draft = useEditor((s) => s.draft);
  const docErrors = useEditor(useShallow((s) => [...errorsAt(s.errors, '$'), ...errorsAt(s.errors, 'format'), ...errorsAt(s.errors, 'cells')]));
  if (!draft) return null;
  const cells = Array.isArray(draft.cells) ? draft.cells : [];
  return (
    <div className="notebook">
      <div className="doc-title">
        <TextInput label="title" path={['title']} wide />
      </div>
      <HostsSection />
      <ErrorList errors={docErrors} />
      {cells.map((cell, i) => {
        switch (cell.type) {
          case 'markdown':
            return (
              <CellFrame key={`${i}:${cell.id}`} index={i} cell={cell} count={cells.length}>
                <MarkdownCell index={i} cell={cell} />
              </CellFrame>
            );
          case 'experiment':
            return <ExperimentCell key={`${i}:${cell.id}`} index={i} cell={cell} count={cells.length} />;
          case 'plot':
            return <PlotCell key={`${i}:${cell.id}`} index={i} cell={cell} count={cells.length} notebook={draft} />;
          default:
            return (
              <section key={i} className="cell">
                <pre>{JSON.stringify(cell, null, 2)}</pre>
              </section>
            );
        }
      })}
      <AddCell at={cells.length} />
    </div>
  );
}
