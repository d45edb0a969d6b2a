// What changed between the two chosen revisions, path by path.
import { useHistory } from '../../stores/history';
import { shortId } from '../../format';

function show(v: unknown): string {
  const s = JSON.stringify(v, null, 1)?.replace(/\n\s*/g, ' ') ?? 'undefined';
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

export function DiffView() {
  const diff = useHistory((s) => s.diff);
  if (!diff) return <div className="muted diff">Pick two revisions (A and B) to see what changed.</div>;
  return (
    <div className="diff" data-testid="diff">
      <h3>
        {shortId(diff.from.id)} → {shortId(diff.to.id)}{' '}
        <span className="muted">
          {diff.changes.length} change{diff.changes.length === 1 ? '' : 's'}
        </span>
      </h3>
      {diff.changes.length === 0 && <div className="muted">Same content.</div>}
      <ul>
        {diff.changes.map((c, i) => (
          <li key={i} className={`chg chg-${c.kind}`}>
            <span className="kind">{c.kind === 'added' ? '+' : c.kind === 'removed' ? '−' : c.kind === 'moved' ? '↕' : '~'}</span>
            <code className="path">{c.path}</code>
            {c.kind === 'changed' && (
              <>
                <span className="before">{show(c.before)}</span> → <span className="after">{show(c.after)}</span>
              </>
            )}
            {c.kind === 'added' && <span className="after">{show(c.after)}</span>}
            {c.kind === 'removed' && <span className="before">{show(c.before)}</span>}
            {c.kind === 'moved' && (
              <span>
                position {String(c.before)} → {String(c.after)}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
