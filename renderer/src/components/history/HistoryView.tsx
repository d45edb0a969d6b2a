// Every revision (newest first) with its message and time; pick any two to diff; restore one.
import { openNotebook } from '../../lab/actions';
import { useEditor } from '../../stores/editor';
import { useHistory } from '../../stores/history';
import { useUi } from '../../stores/ui';
import { clock, shortId } from '../../format';
import { DiffView } from './DiffView';

export function HistoryView() {
  const { revisions, from, to, error, loading } = useHistory();
  const head = useEditor((s) => s.notebook?.head_revision_id);
  const restore = async (rev: string) => {
    const r = await useHistory.getState().restore(rev);
    if (!r) return;
    useUi.getState().notify('info', `Restored ${shortId(rev)} as new revision ${shortId(r.id)}`);
    const ref = useEditor.getState().ref;
    if (ref) await openNotebook(ref);
  };
  return (
    <div className="history">
      <table className="grid revisions" data-testid="revisions">
        <thead>
          <tr>
            <th title="diff from">A</th>
            <th title="diff to">B</th>
            <th>revision</th>
            <th>message</th>
            <th>saved</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {revisions.map((r, i) => (
            <tr key={r.id} className={r.id === head ? 'head' : ''} data-rev={r.id}>
              <td>
                <input type="radio" name="diff-from" aria-label={`diff from ${shortId(r.id)}`} checked={from === r.id} onChange={() => void useHistory.getState().select('from', r.id)} />
              </td>
              <td>
                <input type="radio" name="diff-to" aria-label={`diff to ${shortId(r.id)}`} checked={to === r.id} onChange={() => void useHistory.getState().select('to', r.id)} />
              </td>
              <td>
                <code title={r.id}>{shortId(r.id)}</code>
                {r.id === head && <span className="tag">head</span>}
              </td>
              <td className="msg">{r.message}</td>
              <td className="muted nowrap">{clock(r.created_at)}</td>
              <td>
                {i > 0 && (
                  <button className="small" title="Make this revision's content the new head" onClick={() => void restore(r.id)}>
                    Restore
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {loading && revisions.length === 0 && <div className="muted">loading…</div>}
      {error && <div className="bad">{error}</div>}
      <DiffView />
    </div>
  );
}
