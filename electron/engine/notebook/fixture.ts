// Test-only: the notebooks tests start from — a shipped one from experiments/, or one experiment
// cell whose fields a test overrides — and the errors a notebook the validator refuses gets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentCell, Notebook } from '../common/notebook/schema';
import { repoRoot } from '../paths';
import { validateNotebook, type NotebookError } from './validate';

/** experiments/<name>.json as parsed JSON, not validated: tests edit it into what they need. */
export const shippedNotebook = (name: string) => JSON.parse(readFileSync(join(repoRoot(), 'experiments', `${name}.json`), 'utf8'));
export const quickstart = () => shippedNotebook('quickstart');

/** A format-2 notebook of one experiment cell (nginx, baseline, saio-load, 10 connections, 1 s, one repeat); `cell` overrides. */
export function oneCellNotebook(cell: Record<string, unknown>, title = 'test'): { format: string; title: string; cells: Record<string, unknown>[] } {
  const experiment = {
    id: 'e',
    type: 'experiment',
    server: { kind: 'nginx' },
    protocol: { kind: 'http', file_size: 1024 },
    backends: ['baseline'],
    driver: { kind: 'saio-load' },
    sweep: { connections: [10] },
    duration_s: 1,
    warmup_s: 1,
    repeats: 1,
  };
  return { format: 'saio-lab/notebook@2', title, cells: [{ ...experiment, ...cell }] };
}

/** The notebook the validator makes of `data`; fails the test when it refuses it. */
export function validNotebook(data: unknown): Notebook {
  const v = validateNotebook(data);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  return v.notebook;
}

/** oneCellNotebook(cell), validated: its experiment cell with the defaults filled in. */
export const validCell = (cell: Record<string, unknown>, title?: string): ExperimentCell => validNotebook(oneCellNotebook(cell, title)).cells[0] as ExperimentCell;

/** The validator's errors for `data`; fails the test when it accepts it. */
export function errorsOf(data: unknown): NotebookError[] {
  const v = validateNotebook(data);
  assert.equal(v.ok, false, 'expected the notebook to be rejected');
  return v.ok ? [] : v.errors;
}
