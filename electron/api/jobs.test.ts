// The JobManager against real nginx and wrk: a tiny run streams progress and output and ends
// 'done'; a second start while one runs is refused; cancel stops the run and records it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Lab } from '../engine/lab';
import type { LabEvent } from './contract';
import { createHandlers, dispatch } from './handlers';
import { JobManager } from './jobs';

const dir = mkdtempSync(join(tmpdir(), 'saio-jobs-'));
const lab = new Lab(join(dir, 'lab.db'));
const jobs = new JobManager(lab);
const handlers = createHandlers(lab, jobs);
after(() => {
  lab.close();
  rmSync(dir, { recursive: true, force: true });
});

function tiny(connections: number[], duration_s = 1) {
  return {
    format: 'saio-lab/notebook@1',
    title: 'tiny',
    cells: [
      {
        id: 'exp',
        type: 'experiment',
        server: { kind: 'nginx', file_size: 2048, workers: 1 },
        backends: ['baseline'],
        driver: { kind: 'wrk', threads: 1 },
        sweep: { connections },
        duration_s,
        warmup_s: 1,
        repeats: 1,
        pinning: { server: [0], driver: [1] },
      },
    ],
  };
}

test('a run through the API: progress and live output events, then the final job state', async () => {
  const created = await dispatch(handlers, 'notebooks.create', { name: 'tiny', content: tiny([4]) });
  assert.ok(created.ok, JSON.stringify(created));
  const events: LabEvent[] = [];
  const unsubscribe = jobs.subscribe((e) => events.push(e));

  const started = await dispatch(handlers, 'runs.start', { ref: 'tiny' });
  assert.ok(started.ok, JSON.stringify(started));
  const job = started.value as { job: string; state: string };
  assert.equal(job.state, 'running');

  // One run at a time: a second start is a conflict, whatever the notebook.
  const second = await dispatch(handlers, 'runs.start', { ref: 'tiny' });
  assert.ok(!second.ok && second.error.code === 'conflict', JSON.stringify(second));
  assert.match(!second.ok ? second.error.message : '', /a run is in progress/);

  const final = await jobs.wait(job.job);
  unsubscribe();
  assert.equal(final.state, 'done', final.error ?? '');
  assert.equal(final.runs.length, 1);
  assert.equal(final.error, null);

  const progress = events.filter((e): e is Extract<LabEvent, { type: 'progress' }> => e.type === 'progress');
  assert.ok(progress.length >= 3, 'starting, warm-up, measure, … arrive as events');
  assert.ok(progress.every((e) => e.job === job.job && e.event.run_id === final.runs[0]));
  assert.equal(progress.at(-1)?.event.phase, 'done');
  const output = events.filter((e): e is Extract<LabEvent, { type: 'output' }> => e.type === 'output');
  assert.match(
    output
      .filter((e) => e.role === 'driver')
      .map((e) => e.data)
      .join(''),
    /Requests\/sec:/,
  );
  const states = events.filter((e): e is Extract<LabEvent, { type: 'job' }> => e.type === 'job').map((e) => e.job.state);
  assert.deepEqual(states, ['running', 'done']);
  assert.equal(events[0]?.type, 'job', 'the job event comes before its progress');

  const listed = await dispatch(handlers, 'runs.jobs', {});
  assert.ok(listed.ok && (listed.value as { state: string }[])[0]?.state === 'done');
  const results = await dispatch(handlers, 'runs.get', { run: final.runs[0]! });
  assert.ok(results.ok);
  const stored = results.value as { points: { verified: boolean }[]; placement: unknown[] };
  const points = stored.points;
  assert.equal(points.length, 1);
  assert.equal(points[0]?.verified, true);
  // The point's own event carried exactly what is stored: the record and its placement samples.
  const ended = events.filter((e): e is Extract<LabEvent, { type: 'point' }> => e.type === 'point');
  assert.equal(ended.length, 1);
  assert.deepEqual(ended[0]!.point, points[0]);
  assert.deepEqual(ended[0]!.placement, stored.placement);
  assert.ok(ended[0]!.placement.length > 0, 'the sampler saw the server while it ran');

  // The live output is also kept: artifacts of the run, readable as text.
  const arts = await dispatch(handlers, 'runs.artifacts', { run: final.runs[0]!.slice(0, 8) });
  assert.ok(arts.ok);
  const driverOut = (arts.value as { id: number; name: string }[]).find((a) => a.name === 'driver.stdout');
  const text = await dispatch(handlers, 'runs.artifact', { id: driverOut!.id });
  assert.ok(text.ok && /Requests\/sec:/.test((text.value as { text: string }).text));
});

test('cancel stops a run in flight and records it as cancelled; a new run may then start', async () => {
  const created = await dispatch(handlers, 'notebooks.create', { name: 'long', content: tiny([4, 8, 16], 3) });
  assert.ok(created.ok);
  let jobId = '';
  const cancelled = new Promise<void>((resolve) => {
    const off = jobs.subscribe((e) => {
      if (e.type === 'progress' && e.event.phase === 'measure' && e.job === jobId) {
        off();
        setTimeout(() => {
          void dispatch(handlers, 'runs.cancel', { job: jobId }).then((r) => {
            assert.ok(r.ok, JSON.stringify(r));
            resolve();
          });
        }, 300);
      }
    });
  });
  const started = await dispatch(handlers, 'runs.start', { ref: 'long', quick: false });
  assert.ok(started.ok);
  jobId = (started.value as { job: string }).job;
  await cancelled;
  const final = await jobs.wait(jobId);
  assert.equal(final.state, 'cancelled');
  const run = lab.runResults(final.runs[0]!).run;
  assert.equal(run.status, 'cancelled');
  assert.ok(lab.store.openProcesses(run.id).length === 0, 'no process of the run is left');
  assert.equal(jobs.running(), undefined);
  // Cancelling a finished job is harmless and says its state.
  const again = await dispatch(handlers, 'runs.cancel', { job: jobId });
  assert.ok(again.ok && (again.value as { state: string }).state === 'cancelled');
});

test('shutdown cancels the job in flight and waits until it is recorded', async () => {
  const started = await dispatch(handlers, 'runs.start', { ref: 'long' });
  assert.ok(started.ok, JSON.stringify(started));
  const jobId = (started.value as { job: string }).job;
  await new Promise((r) => setTimeout(r, 1500));
  await jobs.shutdown();
  const final = jobs.get(jobId);
  assert.equal(final.state, 'cancelled');
  for (const r of final.runs) assert.equal(lab.runResults(r).run.status, 'cancelled');
});
