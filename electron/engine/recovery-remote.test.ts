// Recovery on other hosts when they cannot be reached: a run left "running" by a dead lab on hosts
// srv and gen1 is found with both hosts (from its notebook revision); a host that refuses the
// connection (a real ssh to a closed port) and one that never answers (bounded by the timeout)
// each get one line saying so and what to do, kept with the run; nothing hangs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SshHost } from './hosts/ssh';
import { createNotebook } from './notebooks';
import { validateNotebook } from './notebook/validate';
import { repoRoot } from './paths';
import { recoverInterrupted, recoverRemote } from './recovery';
import { Store } from './store/store';

const dir = mkdtempSync(join(tmpdir(), 'saio-recovery-remote-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('unreachable and silent hosts: one line each, bounded in time, kept with the interrupted run', async () => {
  const nb = JSON.parse(readFileSync(join(repoRoot(), 'experiments', 'two-hosts.json'), 'utf8'));
  // srv: nothing listens on port 1 here (ssh is refused at once); gen1: a host that never answers.
  nb.hosts = { srv: 'ssh://root@127.0.0.1:1', gen1: 'ssh://root@127.0.0.1:2' };
  const v = validateNotebook(nb);
  assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
  const store = new Store(join(dir, 'lab.db'));
  const { notebook, revision } = createNotebook(store, 'two', v.notebook);
  const runId = '00000000-0000-4000-8000-000000000001';
  // A lab that is gone: pid 2^22 + 1 is above any pid the kernel hands out.
  store.insertRun({
    id: runId,
    notebook_id: notebook.id,
    revision_id: revision.id,
    cell_id: 'two-hosts',
    quick: true,
    started_at: new Date().toISOString(),
    owner_pid: 4194305,
    owner_start: '1',
    points_planned: 4,
    run_dir: join(dir, 'run'),
  });
  const recovered = recoverInterrupted(store);
  assert.equal(recovered.length, 1);
  assert.deepEqual(recovered[0]?.remote_hosts.map((h) => h.name).sort(), ['gen1', 'srv']);

  const t0 = Date.now();
  const done = await recoverRemote(store, recovered, {
    timeoutMs: 1500,
    cleanupRun: (h, id) => (h.name === 'srv' ? SshHost.cleanupRun({ name: h.name, destination: h.destination, runId: id, connectTimeoutS: 3 }) : new Promise(() => undefined)),
  });
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 10, `bounded: ${seconds} s`);
  const line = (name: string) => done.find((d) => d.host === name)?.line ?? '';
  assert.match(
    line('srv'),
    /^srv \(ssh:\/\/root@127\.0\.0\.1:1\): could not clean up: .*(unreachable|refused).* — .*remove ~\/\.cache\/saio-lab\/runs\/00000000-0000-4000-8000-000000000001\.srv there$/,
  );
  assert.match(line('gen1'), /^gen1 \(ssh:\/\/root@127\.0\.0\.1:2\): could not clean up: no answer within 2 s — /);
  assert.ok(done.every((d) => !d.ok));
  const note = store.listArtifacts(runId).find((a) => a.kind === 'remote-recovery');
  assert.ok(note);
  assert.equal(store.artifactContent(note.id)?.toString('utf8').trim().split('\n').length, 2);
  assert.equal(store.getRun(runId)?.status, 'interrupted');
  store.close();
});
