// Import a .saiolab bundle from a file; verified by the engine before anything is written.
import { useEffect, useRef } from 'react';
import { importFile } from '../../lab/actions';
import { useUi } from '../../stores/ui';

export function ImportBundle() {
  const input = useRef<HTMLInputElement>(null);
  const request = useUi((s) => s.importRequest);
  useEffect(() => {
    if (request > 0) input.current?.click();
  }, [request]);
  return (
    <label className="button wide">
      Import bundle…
      <input
        ref={input}
        type="file"
        accept=".saiolab,.tar.gz,.tgz,application/gzip"
        hidden
        data-testid="import-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = '';
          if (f) void importFile(f);
        }}
      />
    </label>
  );
}
