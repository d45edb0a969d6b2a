// Validation messages for one field path, from the editor store.
import { useShallow } from 'zustand/react/shallow';
import { useEditor } from '../../stores/editor';
import { errorsAt, listFieldMessages } from '../../validation/paths';

export function useFieldMessages(path: string, opts: { list?: boolean; items?: readonly unknown[] } = {}): string[] {
  return useEditor(useShallow((s) => (opts.list ? listFieldMessages(s.errors, path, opts.items) : errorsAt(s.errors, path).map((e) => e.message))));
}
