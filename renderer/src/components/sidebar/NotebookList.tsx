// Every notebook, newest activity first; the open one highlighted.
import { openNotebook } from '../../lab/actions';
import { useEditor } from '../../stores/editor';
import { useNotebooks } from '../../stores/notebooks';
import { ago } from '../../format';

export function NotebookList() {
  const list = useNotebooks((s) => s.list);
  const error = useNotebooks((s) => s.error);
  const open = useEditor((s) => s.notebook?.id);
  const sorted = [...list].sort((a, b) => {
    const ta = a.last_run?.started_at ?? a.created_at;
    const tb = b.last_run?.started_at ?? b.created_at;
    return ta < tb ? 1 : ta > tb ? -1 : 0;
  });
  return (
    <nav className="nb-list" aria-label="Notebooks">
      {sorted.map((nb) => (
        <button key={nb.id} data-nb-item={nb.name} className={`nb-item${nb.id === open ? ' on' : ''}`} onClick={() => void openNotebook(nb.id)}>
          <span className="nb-name">{nb.name}</span>
          <span className="nb-title">{nb.title}</span>
          <span className="nb-meta">
            {nb.revisions} rev · {nb.runs} run{nb.runs === 1 ? '' : 's'}
            {nb.last_run ? ` · ${ago(nb.last_run.started_at)}` : ''}
          </span>
        </button>
      ))}
      {sorted.length === 0 && <div className="muted pad">No notebooks yet.</div>}
      {error && <div className="bad pad">{error}</div>}
    </nav>
  );
}
