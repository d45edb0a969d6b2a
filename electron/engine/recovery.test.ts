// kill -9 of a lab in the middle of a run: at the next start the run is found interrupted, what it
// recorded is kept, and the server it left running is stopped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Lab } from './lab';
import { repoRoot } from './paths';
import { isSameProcess, processesInGroup } from './runner/procfs';

const dir = mkdtempSync(join(tmpdir(), 'saio-recovery-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a run whose lab was killed with SIGKILL is marked interrupted at next start, keeping its points', async () => {
  const db = join(dir, 'lab.db');
  const nbFile = join(dir, 'long.json');
  writeFileSync(
    nbFile,
    JSON.stringify({
      format: 'saio-lab/notebook@1',
      title: 'long',
      cells: [
        {
          id: 'exp',
          type: 'experiment',
          server: { kind: 'nginx', file_size: 512 },
          backends: ['baseline'],
          driver: { kind: 'wrk' },
          sweep: { connections: [2, 4, 8, 16, 32] },
          duration_s: 2,
          warmup_s: 1,
          repeats: 2,
        },
      ],
    }),
  );
  const cli = spawn(process.execPath, [join(repoRoot(), 'bin', 'saio-lab.js'), '--db', db, 'run', nbFile], { stdio: 'ignore' });
  const exited = new Promise((r) => cli.on('exit', r));

  // Wait until the first point is committed and the second one's server is up.
  let leftover: { pid: number; start_ticks: string }[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the run recorded no point within 30 s');
    await sleep(200);
    try {
      const ro = new Database(db, { readonly: true, fileMustExist: true });
      const points = (ro.prepare('SELECT count(*) AS n FROM points').get() as { n: number }).n;
      leftover = ro.prepare("SELECT pid, start_ticks FROM run_processes WHERE ended = 0 AND role = 'server'").all() as typeof leftover;
      ro.close();
      if (points >= 1 && leftover.length > 0) break;
    } catch {
      // the database is being created
    }
  }
  cli.kill('SIGKILL');
  await exited;
  assert.ok(
    leftover.some((p) => isSameProcess(p.pid, p.start_ticks)),
    'the killed lab left its nginx running',
  );

  const lab = new Lab(db);
  try {
    assert.equal(lab.recovered.length, 1);
    const [run] = lab.runs('long');
    assert.equal(run?.status, 'interrupted');
    assert.match(run?.reason ?? '', /the lab process \(pid \d+\) ended while this run was in flight; \d+ of 10 points had been recorded/);
    const points = lab.runResults(run!.id).points;
    assert.ok(points.length >= 1);
    assert.ok(points.every((p) => p.status === 'ok' && p.verified));
    assert.equal(lab.recovered[0]?.points_recorded, points.length);
    assert.ok((lab.recovered[0]?.processes_stopped ?? 0) >= 1);
    await sleep(300);
    for (const p of leftover) assert.deepEqual(processesInGroup(p.pid), [], `leftover group ${p.pid} stopped`);
  } finally {
    lab.close();
  }

  // Opening again finds nothing more to recover: the interrupted run is history now.
  const again = new Lab(db);
  assert.equal(again.recovered.length, 0);
  again.close();
});
