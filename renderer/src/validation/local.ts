// Instant, in-page validation with the notebook schema itself and the engine's own wording, so a
// field shows its error on the keystroke that caused it. The engine's `notebooks.validate` runs
// after a short pause and is authoritative (it also checks the registries of servers, backends
// and drivers); its answer replaces these errors.
import { schemaErrors } from '../../../electron/engine/common/notebook/explain';
import type { NotebookError } from './paths';

export function validateLocal(draft: unknown): NotebookError[] {
  return schemaErrors(draft);
}
