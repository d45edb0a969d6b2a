// Errors of a cell that no field on screen claims (unknown keys, a wrong type tag, …), and the list
// every part of the notebook shows its errors in.
import { useShallow } from 'zustand/react/shallow';
import { useEditor } from '../../stores/editor';
import { jsonPath, unclaimedErrors, type NotebookError } from '../../validation/paths';

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
  return <ErrorList errors={errors} base={base} />;
}

/**
 * Validation errors as the notebook shows them, each with its path. With `base`, paths are shown
 * relative to it ("cell" for the base itself) and each item carries its full path; nothing when
 * there are no errors.
 */
export function ErrorList({ errors, base }: { errors: readonly NotebookError[]; base?: string }) {
  if (errors.length === 0) return null;
  return (
    <ul className="cell-errors" role="alert">
      {errors.map((e, i) => (
        <li key={i} data-error-path={base === undefined ? undefined : e.path}>
          <code>{base === undefined ? e.path : e.path.slice(base.length).replace(/^\./, '') || 'cell'}</code> {e.message}
        </li>
      ))}
    </ul>
  );
}
