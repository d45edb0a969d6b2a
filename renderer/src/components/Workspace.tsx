// The main pane: the open notebook's toolbar and the chosen view.
import { useEditor } from '../stores/editor';
import { useUi } from '../stores/ui';
import { CompareView } from './compare/CompareView';
import { HistoryView } from './history/HistoryView';
import { NotebookView } from './notebook/NotebookView';
import { RunsView } from './runs/RunsView';
import { Toolbar } from './Toolbar';

export function Workspace() {
  const ref = useEditor((s) => s.ref);
  const loading = useEditor((s) => s.loading && !s.draft);
  const error = useEditor((s) => s.error);
  const view = useUi((s) => s.view);
  if (!ref) {
    return (
      <main className="workspace empty">
        <div>
          <h1>SAIO Lab</h1>
          <p>Open a notebook on the left, or create one from the quickstart.</p>
        </div>
      </main>
    );
  }
  return (
    <main className="workspace">
      <Toolbar />
      {error && <div className="bad banner">{error}</div>}
      <div className="view" data-view={view} key={view}>
        {loading ? <div className="muted">loading…</div> : view === 'notebook' ? <NotebookView /> : view === 'history' ? <HistoryView /> : view === 'runs' ? <RunsView /> : <CompareView />}
      </div>
    </main>
  );
}
