// Create a notebook: a name, and either a shipped notebook to start from or an empty one.
import { useEffect, useState } from 'react';
import { createNotebook } from '../../lab/actions';
import { useNotebooks } from '../../stores/notebooks';
import { useUi } from '../../stores/ui';

export function NewNotebook() {
  const creating = useUi((s) => s.creating);
  const shipped = useNotebooks((s) => s.shipped);
  const [name, setName] = useState('');
  const [from, setFrom] = useState('');
  const none = shipped.length === 0;
  useEffect(() => {
    if (creating && none) void useNotebooks.getState().loadShipped();
  }, [creating, none]);
  // The first shipped notebook is the default until one is picked.
  useEffect(() => {
    const first = shipped[0];
    if (first) setFrom((f) => (f === '' ? first.file : f));
  }, [shipped]);
  if (!creating) {
    return (
      <button className="wide" onClick={() => useUi.getState().setCreating(true)}>
        + New notebook
      </button>
    );
  }
  const submit = () => {
    if (name.trim()) void createNotebook(name.trim(), from === '__empty' ? null : from || null);
  };
  return (
    <form
      className="new-nb"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') useUi.getState().setCreating(false);
      }}
    >
      <input autoFocus placeholder="name" aria-label="Notebook name" value={name} onChange={(e) => setName(e.target.value)} />
      <select aria-label="Start from" value={from} onChange={(e) => setFrom(e.target.value)}>
        {shipped.map((s) => (
          <option key={s.file} value={s.file}>
            {s.title} ({s.file})
          </option>
        ))}
        <option value="__empty">Empty notebook</option>
      </select>
      <div className="row">
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create
        </button>
        <button type="button" onClick={() => useUi.getState().setCreating(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
