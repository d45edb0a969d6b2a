// Test-only: a store holding the quickstart notebook and one run of its first cell, still running,
// inserted through the Store's own methods: what tests of runs, points and hosts start from.
import { quickstart } from '../notebook/fixture';
import { createNotebook } from '../notebooks';
import type { Store } from './store';

/** Creates notebook "qs" from the quickstart and inserts run "run-1" of cell nginx-keepalive (one point planned). */
export function withRun(s: Store): void {
  const { notebook, revision } = createNotebook(s, 'qs', quickstart());
  s.insertRun({
    id: 'run-1',
    notebook_id: notebook.id,
    revision_id: revision.id,
    cell_id: 'nginx-keepalive',
    quick: true,
    started_at: '2026-01-01T00:00:00.000Z',
    owner_pid: process.pid,
    owner_start: '1',
    points_planned: 1,
    run_dir: '/tmp/x',
  });
}
