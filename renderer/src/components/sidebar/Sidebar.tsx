import { ImportBundle } from './ImportBundle';
import { NewNotebook } from './NewNotebook';
import { NotebookList } from './NotebookList';

export function Sidebar() {
  return (
    <aside className="sidebar">
      <div className="brand">SAIO Lab</div>
      <div className="side-actions">
        <NewNotebook />
        <ImportBundle />
      </div>
      <NotebookList />
      <div className="keys muted">
        <kbd>Ctrl</kbd>+<kbd>S</kbd> save · <kbd>Ctrl</kbd>+<kbd>Enter</kbd> run · <kbd>Alt</kbd>+<kbd>1-4</kbd> views · <kbd>Ctrl</kbd>+<kbd>`</kbd> panel
      </div>
    </aside>
  );
}
