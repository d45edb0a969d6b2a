// The planner: named axes nested in order (workers, connections, rate) inside repeats, backends
// innermost; capacity probes first when a rate is a fraction of capacity; quick repeats; the
// capacity every backend is offered fractions of.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configKey } from '../common/axes';
import type { ExperimentCell } from '../common/notebook/schema';
import { validCell } from '../notebook/fixture';
import { capacities, phaseDurations, planPoints, pointLabel, probeDurations, resolveRate } from './plan';

const cell = (over: Record<string, unknown>): ExperimentCell => validCell({ protocol: { kind: 'http', file_size: 1 }, duration_s: 5, repeats: 2, ...over }, 'plan');

const keyed = (plan: ReturnType<typeof planPoints>) => plan.map((p) => `${p.seq} ${p.kind} r${p.repeat} ${p.backend} ${configKey(p.configuration)}`);

test('axes nest workers, connections, rate inside repeats; backends alternate innermost', () => {
  const c = { ...cell({ sweep: { connections: [10, 20], workers: [1, 2], rate: [1000, 2000] }, repeats: 1 }), backends: ['x', 'y'] };
  assert.deepEqual(keyed(planPoints(c)).slice(0, 6), [
    '1 measure r1 x w=1 c=10 rate=1000/s',
    '2 measure r1 y w=1 c=10 rate=1000/s',
    '3 measure r1 x w=1 c=10 rate=2000/s',
    '4 measure r1 y w=1 c=10 rate=2000/s',
    '5 measure r1 x w=1 c=20 rate=1000/s',
    '6 measure r1 y w=1 c=20 rate=1000/s',
  ]);
  assert.equal(planPoints(c).length, 2 * 2 * 2 * 2);
  assert.equal(planPoints(c).at(-1)?.configuration.workers, 2);
});

test('fractions of capacity: one closed-loop probe per backend and (workers, connections) first, then the repeats', () => {
  const c = { ...cell({ sweep: { connections: [10, 20], rate: { of_capacity: [0.5, 0.9] } } }), backends: ['x', 'y'] };
  const plan = planPoints(c);
  assert.deepEqual(keyed(plan).slice(0, 6), [
    '1 probe r1 x w=1 c=10 closed',
    '2 probe r1 y w=1 c=10 closed',
    '3 probe r1 x w=1 c=20 closed',
    '4 probe r1 y w=1 c=20 closed',
    '5 measure r1 x w=1 c=10 rate=0.5cap',
    '6 measure r1 y w=1 c=10 rate=0.5cap',
  ]);
  assert.equal(plan.length, 4 + 2 * 2 * 2 * 2);
  assert.equal(pointLabel(plan[0]!), 'x c=10 w=1 capacity probe');
  assert.equal(pointLabel(plan[4]!), 'x c=10 w=1 R=0.5×cap #1');
  // Absolute rates need no probe.
  assert.ok(planPoints(cell({ sweep: { connections: [10], rate: [5] } })).every((p) => p.kind === 'measure'));
});

test('quick: its durations and repeats; a probe lasts probe_s (at most the quick duration)', () => {
  const c = cell({ sweep: { connections: [10], rate: { of_capacity: [0.5], probe_s: 3 } }, repeats: 3, quick: { duration_s: 1, warmup_s: 0, repeats: 1 } });
  assert.equal(planPoints(c, false).filter((p) => p.kind === 'measure').length, 3);
  assert.equal(planPoints(c, true).filter((p) => p.kind === 'measure').length, 1);
  assert.deepEqual(phaseDurations(c, true), { duration_s: 1, warmup_s: 0 });
  assert.deepEqual(probeDurations(c, false), { duration_s: 3, warmup_s: 1 });
  assert.deepEqual(probeDurations(c, true), { duration_s: 1, warmup_s: 0 });
  assert.deepEqual(probeDurations(cell({ sweep: { connections: [10], rate: { of_capacity: [0.5] } } }), false).duration_s, 2, 'default probe 2 s');
});

test('capacity: the highest verified probe of any backend, per (workers, connections); fractions resolve to whole requests/s', () => {
  const conf = (c: number) => ({ workers: 1, connections: c, rate: null });
  const caps = capacities([
    { configuration: conf(10), requests_per_s: 900, usable: true },
    { configuration: conf(10), requests_per_s: 1200.4, usable: true },
    { configuration: conf(10), requests_per_s: 5000, usable: false },
    { configuration: conf(20), requests_per_s: null, usable: true },
  ]);
  assert.deepEqual([...caps.entries()], [['w=1 c=10 closed', 1200.4]]);
  assert.deepEqual(
    [0.1, 0.5, 0.95, 0.0001].map((f) => resolveRate(f, 1200.4)),
    [120, 600, 1140, 1],
  );
});
