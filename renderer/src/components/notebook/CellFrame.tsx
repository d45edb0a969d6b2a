// The chrome around every cell: its id and kind, move/remove, and focus for Ctrl+Enter.
import type { ReactNode } from 'react';
import type { Cell } from '../../../../electron/engine/common/notebook/schema';
import { useEditor } from '../../stores/editor';
import { useUi } from '../../stores/ui';

export function CellFrame({ index, cell, tools, children, count }: { index: number; cell: Cell; tools?: ReactNode; children: ReactNode; count: number }) {
  const focused = useUi((s) => s.focusedCell === cell.id);
  return (
    <section
      className={`cell cell-${cell.type}${focused ? ' focused' : ''}`}
      data-cell-id={cell.id}
      data-cell-index={index}
      onFocusCapture={() => useUi.getState().focusCell(cell.id)}
      onMouseDown={() => useUi.getState().focusCell(cell.id)}
    >
      <header className="cell-head">
        <span className="cell-kind">{cell.type}</span>
        <span className="cell-id">{cell.id}</span>
        <span className="spacer" />
        {tools}
        <button className="icon" title="Move up" disabled={index === 0} onClick={() => useEditor.getState().moveCell(index, -1)}>
          ↑
        </button>
        <button className="icon" title="Move down" disabled={index === count - 1} onClick={() => useEditor.getState().moveCell(index, 1)}>
          ↓
        </button>
        <button className="icon" title="Remove cell" onClick={() => useEditor.getState().removeCell(index)}>
          ✕
        </button>
      </header>
      {children}
    </section>
  );
}
