import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configKey } from '../../../electron/engine/common/axes';
import type { PlacementSample, PointRecord } from '../../../electron/engine/model';
import type { RunResults } from '../../../electron/engine/common/results';
import { compareTable } from './compare';
import { latencyFigure, tailLatencyFigure, throughputFigure } from './figures';
import { placementFigure, placementRows } from './placement';

let seq = 0;
function point(connections: number, repeat: number, rps: number, p99: number, backend = 'baseline', rate: { per_s: number; of?: number; warnings?: string[] } | null = null): PointRecord {
  seq++;
  return {
    id: seq,
    run_id: 'r',
    seq,
    kind: 'measure',
    backend,
    server: 'nginx',
    connections,
    workers: 1,
    repeat,
    status: 'ok',
    reason: null,
    config: configKey({ workers: 1, connections, rate: rate === null ? null : rate.of !== undefined ? { of_capacity: rate.of } : { per_s: rate.per_s } }),
    rate_per_s: rate?.per_s ?? null,
    rate_of_capacity: rate?.of ?? null,
    offered_per_s: rate?.per_s ?? null,
    warnings: rate?.warnings ?? [],
    requests_per_s: rps,
    latency_p50_us: p99 / 4,
    latency_p90_us: p99 / 2,
    latency_p99_us: p99,
    latency_p999_us: p99 * 2,
    latency_max_us: p99 * 3,
    errors: 0,
    verified: true,
    verification: null,
    load: null,
    cpu: null,
    requests_per_cpu_s: null,
    started_at: '2026-01-01T00:00:01Z',
    ended_at: null,
  };
}
function results(points: PointRecord[], placement: PlacementSample[] = []): RunResults {
  return {
    run: {
      id: 'run1',
      notebook_id: 'n',
      revision_id: 'r',
      cell_id: 'e',
      status: 'ok',
      reason: null,
      quick: true,
      started_at: '2026-01-01T00:00:00Z',
      ended_at: null,
      owner_pid: 1,
      owner_start: '',
      points_planned: points.length,
      run_dir: '',
    },
    environment: null,
    placement,
    points,
  };
}

test('every repeat is its own marker; the median line goes through per-x medians; lines are never simplified', () => {
  const r = results([point(10, 1, 100, 5), point(10, 2, 300, 7), point(10, 3, 200, 6), point(50, 1, 400, 9)]);
  const f = throughputFigure(r);
  const markers = f.data.filter((t) => t.mode === 'markers');
  const lines = f.data.filter((t) => t.mode === 'lines');
  assert.deepEqual(markers[0]!.y, [100, 300, 200, 400]);
  assert.deepEqual(lines[0]!.y, [200, 400]);
  assert.equal((lines[0]!.line as { simplify: boolean }).simplify, false);
  const lat = latencyFigure(r);
  const p99 = lat.data.find((t) => t.name === 'p99' && t.mode === 'markers')!;
  assert.deepEqual(p99.y, [5, 7, 6, 9], 'tail percentiles keep every point');
  assert.equal(throughputFigure(results([])).empty, 'no finished points yet');
});

test('placement: one row per thread, kernel workers shaded and marked, colour per CPU', () => {
  const s = (tid: number, role: PlacementSample['role'], cpu: number, t: number): PlacementSample => ({
    point_id: null,
    t_ms: t,
    role,
    pid: role === 'driver' ? 200 : 100,
    tid,
    comm: role === 'kernel-worker' ? 'saio-kw/0' : 'nginx',
    cpu,
    allowed_cpus: '0-1',
    voluntary_ctxt: 0,
    nonvoluntary_ctxt: 0,
    utime_ticks: 0,
    stime_ticks: 0,
  });
  const samples = [s(101, 'server', 0, 0), s(101, 'server', 1, 250), s(300, 'kernel-worker', 1, 0), s(201, 'driver', 1, 0)];
  const rows = placementRows(samples);
  assert.deepEqual(
    rows.map((r) => r.role),
    ['server', 'kernel-worker', 'driver'],
  );
  const f = placementFigure(results([], samples));
  assert.deepEqual(f.data.map((t) => t.name).sort(), ['CPU 0', 'CPU 1', 'CPU 1 (kernel worker)']);
  const shapes = (f.layout.shapes as { type: string; y0?: number }[]).filter((x) => x.type === 'rect');
  assert.equal(shapes.length, 1);
  assert.equal(shapes[0]!.y0, 0.5);
});

test('compare table: per-configuration medians and ratios to the baseline run', () => {
  const a = results([point(10, 1, 100, 5), point(10, 2, 120, 5), point(50, 1, 200, 5)]);
  const b = results([point(10, 1, 165, 5), point(50, 1, 100, 5)]);
  const rows = compareTable([a, b], 0, 'requests_per_s');
  assert.deepEqual(
    rows.map((r) => r.config),
    ['w=1 c=10 closed', 'w=1 c=50 closed'],
  );
  assert.equal(rows[0]!.cells[0]!.median, 110);
  assert.equal(rows[0]!.cells[0]!.n, 2);
  assert.equal(rows[0]!.cells[1]!.ratio, 1.5);
  assert.equal(rows[1]!.cells[1]!.ratio, 0.5);
});

test('tail latency against achieved rate: open-loop points only, p99 and p99.9 per backend in one colour, one line point per configuration, warnings outlined', () => {
  const r = results([
    point(50, 1, 80, 5), // closed loop: not on this figure
    point(50, 1, 990, 100, 'baseline', { per_s: 1000, of: 0.1 }),
    point(50, 2, 1010, 120, 'baseline', { per_s: 1000, of: 0.1 }),
    point(50, 1, 4100, 9000, 'baseline', { per_s: 5000, of: 0.5, warnings: ['achieved 82% of offered'] }),
    point(50, 1, 1000, 90, 'saio-uring', { per_s: 1000, of: 0.1 }),
  ]);
  const f = tailLatencyFigure(r);
  const markers = f.data.filter((t) => t.mode === 'markers');
  assert.deepEqual(
    markers.map((t) => t.name),
    ['baseline · p99', 'saio-uring · p99', 'baseline · p99.9', 'saio-uring · p99.9'],
  );
  assert.deepEqual(markers[0]!.x, [990, 1010, 4100]);
  const color = (t: Record<string, unknown>) => (t.marker as { color: string }).color;
  assert.equal(color(markers[0]!), color(markers[2]!), 'a backend keeps its colour across percentiles');
  assert.notEqual(color(markers[0]!), color(markers[1]!));
  assert.deepEqual((markers[0]!.marker as { line: { width: number[] } }).line.width, [0, 0, 2], 'the warned point is outlined');
  assert.match(JSON.stringify(markers[0]!.customdata), /achieved 82% of offered/);
  const line = f.data.find((t) => t.mode === 'lines' && t.name === 'baseline · p99 median')!;
  assert.deepEqual(line.x, [1000, 4100], 'one point per configuration (0.1 and 0.5 of capacity), in sweep order');
  assert.equal(f.warned, 1);
  assert.match(tailLatencyFigure(results([point(10, 1, 1, 1)])).empty ?? '', /no open-loop points/);
  assert.equal(
    throughputFigure(r)
      .data.filter((t) => t.mode === 'markers')
      .reduce((n, t) => n + (t.x as unknown[]).length, 0),
    1,
    'throughput against connections: closed loop only',
  );
});
