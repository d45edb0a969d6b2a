// A cell as JSON text. Edits that parse replace the cell in the draft (and are validated like any
// edit); text that does not parse stays here with its syntax error until fixed.
import { useEffect, useState } from 'react';
import type { Cell } from '../../../../electron/engine/common/notebook/schema';
import { jsonSyntaxError } from '../../../../electron/engine/common/json-syntax';
import { useEditor } from '../../stores/editor';

export function CellJson({ index, cell }: { index: number; cell: Cell }) {
  const canonical = JSON.stringify(cell, null, 2);
  const [text, setText] = useState(canonical);
  const [syntax, setSyntax] = useState<string | null>(null);
  useEffect(() => {
    let same: boolean;
    try {
      same = JSON.stringify(JSON.parse(text)) === JSON.stringify(cell);
    } catch {
      same = false;
    }
    if (!same && syntax === null) setText(canonical);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [canonical]);
  return (
    <div className="cell-json">
      <textarea
        spellCheck={false}
        value={text}
        rows={Math.min(40, text.split('\n').length + 1)}
        aria-label={`JSON of cell ${cell.id}`}
        onChange={(e) => {
          setText(e.target.value);
          // The engine's own rule (line, column and words), not the browser's message.
          const error = jsonSyntaxError(e.target.value);
          setSyntax(error ? error.message : null);
          if (!error) useEditor.getState().setField(['cells', index], JSON.parse(e.target.value) as unknown);
        }}
      />
      {syntax && (
        <div className="field-error" role="alert">
          JSON: {syntax}
        </div>
      )}
    </div>
  );
}
