import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installFake } from '../testing/fake-client';
import { useHistory } from './history';

const rev = (id: string) => ({ id, notebook_id: 'nb1', parent_id: null, content_sha256: 'x', message: `m ${id}`, created_at: '2026-01-01T00:00:00Z' });

test('history defaults to diffing the previous revision against the head, and restores', async () => {
  const fake = installFake();
  let revisions = [rev('r3'), rev('r2'), rev('r1')];
  fake.on('notebooks.history', () => revisions);
  fake.on('notebooks.diff', (i) => ({ from: rev(i.from), to: rev(i.to ?? 'r3'), changes: [{ kind: 'changed' as const, path: 'title', before: 'a', after: 'b' }] }));
  fake.on('notebooks.restore', (i) => {
    revisions = [rev('r4'), ...revisions];
    return { revision: rev('r4'), created: i.rev === 'r1' };
  });
  await useHistory.getState().load('qs');
  assert.equal(useHistory.getState().from, 'r2');
  assert.equal(useHistory.getState().to, 'r3');
  assert.equal(useHistory.getState().diff?.changes.length, 1);
  await useHistory.getState().select('from', 'r1');
  assert.deepEqual(fake.calls.at(-1), { method: 'notebooks.diff', input: { ref: 'qs', from: 'r1', to: 'r3' } });
  const r = await useHistory.getState().restore('r1');
  assert.equal(r?.id, 'r4');
  assert.equal(useHistory.getState().revisions.length, 4);
  assert.equal(useHistory.getState().to, 'r4');
});
