// Errors of a cell that no field on screen claims (unknown keys, a wrong type tag, …).
import { useShallow } from 'zustand/react/shallow';
import { useEditor } from '../../stores/editor';
import { jsonPath, unclaimedErrors } from '../../validation/paths';

export function CellErrors({ index, claimed }: { index: number; claimed: readonly string[] }) {
  const base = jsonPath(['cells', index]);
  const errors = useEditor(
    useShallow((s) =>
      unclaimedErrors(
        s.errors,
        base,
        claimed.map((c) => `${base}.${c}`),
      ),
    ),
  );
  if (errors.length === 0) return null;
  return (
    <ul className="cell-errors" role="alert">
      {errors.map((e, i) => (
        <li key={i} data-error-path={e.path}>
          <code>{e.path.slice(base.length).replace(/^\./, '') || 'cell'}</code> {e.message}
        </li>
      ))}
    </ul>
  );
}
