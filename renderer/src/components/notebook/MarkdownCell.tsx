// A note: rendered until clicked (or Enter), then a plain text editor; Escape or leaving ends it.
import { useState } from 'react';
import type { MarkdownCell as MarkdownCellT } from '../../../../electron/engine/common/notebook/schema';
import { Markdown } from '../../markdown/Markdown';
import { useEditor } from '../../stores/editor';
import { CellErrors } from './CellErrors';

export function MarkdownCell({ index, cell }: { index: number; cell: MarkdownCellT }) {
  const [editing, setEditing] = useState(cell.source.trim() === '');
  if (editing) {
    return (
      <>
        <textarea
          className="md-source"
          autoFocus
          spellCheck
          value={cell.source}
          rows={Math.max(4, cell.source.split('\n').length + 1)}
          aria-label={`Markdown of cell ${cell.id}`}
          onChange={(e) => useEditor.getState().setField(['cells', index, 'source'], e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setEditing(false);
          }}
          onBlur={() => cell.source.trim() !== '' && setEditing(false)}
        />
        <CellErrors index={index} claimed={['source']} />
      </>
    );
  }
  return (
    <>
      <div
        className="md-view"
        tabIndex={0}
        title="Click or press Enter to edit"
        onClick={(e) => {
          if (!(e.target instanceof HTMLAnchorElement)) setEditing(true);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            setEditing(true);
          }
        }}
      >
        <Markdown source={cell.source} />
      </div>
      <CellErrors index={index} claimed={['source']} />
    </>
  );
}
