// The bar over the open notebook: name and revision, views, save (with message), run, export.
import { cancelRun, exportCurrent, runNow, saveNow, showView } from '../lab/actions';
import { isDirty, useEditor } from '../stores/editor';
import { activeJob, useRuns } from '../stores/runs';
import { useUi, type View } from '../stores/ui';
import { shortId } from '../format';

const VIEWS: { id: View; label: string; key: string }[] = [
  { id: 'notebook', label: 'Notebook', key: 'Alt+1' },
  { id: 'runs', label: 'Runs', key: 'Alt+2' },
  { id: 'compare', label: 'Compare', key: 'Alt+3' },
  { id: 'history', label: 'History', key: 'Alt+4' },
];

export function Toolbar() {
  const name = useEditor((s) => s.notebook?.name);
  const rev = useEditor((s) => s.revision);
  const dirty = useEditor(isDirty);
  const nErrors = useEditor((s) => s.errors.length);
  const saving = useEditor((s) => s.saving);
  const message = useEditor((s) => s.message);
  const view = useUi((s) => s.view);
  const job = useRuns(activeJob);
  const starting = useRuns((s) => s.starting);
  const quick = useRuns((s) => s.quick);
  return (
    <div className="toolbar">
      <div className="tb-name">
        <strong>{name}</strong>
        {rev && (
          <span className="muted" title={`${rev.id}\n${rev.message}`}>
            @{shortId(rev.id)}
          </span>
        )}
        {dirty && (
          <span className="dirty" title="Unsaved edits">
            ●
          </span>
        )}
        {nErrors > 0 && (
          <span className="bad" data-testid="error-count">
            {nErrors} problem{nErrors > 1 ? 's' : ''}
          </span>
        )}
      </div>
      <nav className="tabs" role="tablist">
        {VIEWS.map((v) => (
          <button key={v.id} role="tab" aria-selected={view === v.id} className={view === v.id ? 'on' : ''} title={v.key} onClick={() => showView(v.id)}>
            {v.label}
          </button>
        ))}
      </nav>
      <span className="spacer" />
      <input
        className="message"
        placeholder={dirty ? 'revision message (optional)' : 'no edits'}
        value={message}
        disabled={!dirty}
        aria-label="Revision message"
        onChange={(e) => useEditor.getState().setMessage(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void saveNow();
        }}
      />
      <button disabled={!dirty || saving} title="Save a revision (Ctrl+S)" onClick={() => void saveNow()}>
        Save
      </button>
      <label className="check" title="Use the cells' quick durations">
        <input type="checkbox" checked={quick} onChange={(e) => useRuns.getState().setQuick(e.target.checked)} /> quick
      </label>
      {job ? (
        <button className="danger" onClick={() => void cancelRun()}>
          ■ Cancel
        </button>
      ) : (
        <button className="primary" disabled={starting} title="Run every experiment cell (Ctrl+Enter runs the focused cell)" onClick={() => void runNow(null)}>
          ▶ Run all
        </button>
      )}
      <button title="Export notebook, revisions and runs as a bundle" onClick={() => void exportCurrent()}>
        Export
      </button>
    </div>
  );
}
