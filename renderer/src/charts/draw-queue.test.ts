// The chart queue: one drawing per task, so what arrives between two drawings is handled between
// them; costs per chart; the live redraw interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrawQueue, LIVE_REDRAW_MS, liveRedrawMs } from './draw-queue';

/** Tasks run by hand, in order: what the page's event loop would do. */
function tasks() {
  const queued: (() => void)[] = [];
  return {
    later: (f: () => void) => void queued.push(f),
    /** Runs the next task and lets the promises it settled run on (as a task's microtasks do). */
    async step(): Promise<boolean> {
      const f = queued.shift();
      if (!f) return false;
      f();
      for (let i = 0; i < 5; i++) await Promise.resolve();
      return true;
    },
    push: (f: () => void) => void queued.push(f),
  };
}

test('one drawing per task: a task that arrives while charts wait runs between two drawings, not after all of them', async () => {
  const t = tasks();
  const q = new DrawQueue<string>(t.later);
  const log: string[] = [];
  for (const c of ['throughput', 'latency', 'placement']) {
    q.enqueue(async () => {
      log.push(c);
    });
  }
  await t.step();
  assert.deepEqual(log, ['throughput']);
  // A point arrives now: its task is queued behind the next drawing's, not behind all of them.
  t.push(() => log.push('point'));
  while (await t.step());
  assert.deepEqual(log, ['throughput', 'latency', 'point', 'placement']);
  // Drained: a new drawing starts the queue again; one that throws does not stop the rest.
  q.enqueue(async () => {
    throw new Error('plotly refused');
  });
  q.enqueue(async () => {
    log.push('again');
  });
  while (await t.step());
  assert.equal(log.at(-1), 'again');
});

test('the cost of the charts on screen: the last drawing of each, a chart gone no longer counts', () => {
  const q = new DrawQueue<string>(() => undefined);
  q.record('a', 100);
  q.record('b', 250);
  q.record('a', 400);
  assert.equal(q.costMs(), 650);
  q.forget('b');
  assert.equal(q.costMs(), 400);
});

test('live redraws: every 3 s while charts are cheap, and never more than a tenth of the time on them', () => {
  assert.equal(liveRedrawMs(0), LIVE_REDRAW_MS);
  assert.equal(liveRedrawMs(300), LIVE_REDRAW_MS);
  assert.equal(liveRedrawMs(2500), 25_000);
});
