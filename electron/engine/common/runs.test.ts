import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FINAL_PHASES, isFinalPhase, latestRun } from './runs';

const run = (id: string, cell_id: string, started_at: string) => ({ id, cell_id, started_at });

test('the latest run of a cell: started last, ties by id, whatever the list order', () => {
  const runs = [run('a1', 'e', '2026-01-01T00:00:00.000Z'), run('b2', 'e', '2026-01-02T00:00:00.000Z'), run('c3', 'e', '2026-01-02T00:00:00.000Z'), run('z9', 'other', '2027-01-01T00:00:00.000Z')];
  for (const list of [runs, [...runs].reverse(), [runs[2]!, runs[0]!, runs[3]!, runs[1]!]]) {
    assert.equal(latestRun(list, 'e', (r) => r)?.id, 'c3');
  }
  assert.equal(
    latestRun(runs, 'none', (r) => r),
    null,
  );
  assert.equal(
    latestRun(
      runs.map((r) => ({ run: r })),
      'other',
      (x) => x.run,
    )?.run.id,
    'z9',
  );
});

test('a point ends done, skipped or failed', () => {
  assert.deepEqual([...FINAL_PHASES].sort(), ['done', 'failed', 'skipped']);
  for (const p of ['starting', 'warmup', 'measure', 'verify'] as const) assert.equal(isFinalPhase(p), false);
  for (const p of FINAL_PHASES) assert.equal(isFinalPhase(p), true);
});
