// Numbers from a QEMU guest carry their accelerator in results.json, in the report's tables and
// in chart legends, and a TCG run says it is not comparable with a host's numbers; a run on a
// host carries none of it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunHostRecord } from '../model';
import type { PlotCell } from '../common/notebook/schema';
import { chartSpec } from '../common/chart';
import { fixture } from './fixture';
import { reportHtml as renderReport } from './html';
import { resultsJson } from './results-json';
import type { ReplayResults } from '../common/results';

function guestHost(accel: string): RunHostRecord {
  return {
    name: 'vm',
    kind: 'qemu',
    address: `qemu:${accel}:guest-kernel`,
    roles: ['server', 'driver'],
    environment: {
      host: 'saio-guest',
      kind: 'qemu',
      address: 'qemu',
      kernel: 'guest-kernel',
      cpu_model: 'QEMU',
      cpus: 2,
      memory_bytes: 2 << 30,
      tools: {},
      extra: { accel, accel_reason: 'asked for tcg', guest_boot_ms: '25000' },
    },
    clock_offset: null,
    network_path: null,
    notes: [],
  } as unknown as RunHostRecord;
}

function inGuest(accel: string): ReplayResults {
  const r = fixture();
  return { ...r, runs: r.runs.map((run) => ({ ...run, hosts: [guestHost(accel)] })) };
}

test('results.json: a guest run and each of its points carry accel; TCG is marked not comparable with a host; a host run carries null', () => {
  const tcg = resultsJson(inGuest('tcg')).runs[0]!;
  assert.equal(tcg.accel, 'tcg');
  assert.equal(tcg.comparable_with_host, false);
  assert.match(tcg.accel_note ?? '', /TCG \(emulated CPU\).*not with numbers measured on a host/);
  assert.ok(tcg.points.length > 0 && tcg.points.every((p) => p.accel === 'tcg'));
  const kvm = resultsJson(inGuest('kvm')).runs[0]!;
  assert.equal(kvm.accel, 'kvm');
  assert.equal(kvm.comparable_with_host, true);
  const host = resultsJson(fixture()).runs[0]!;
  assert.equal(host.accel, null);
  assert.ok(host.points.every((p) => p.accel === null));
});

test('charts and tables: a guest series reads "backend [tcg]"; the report says why the numbers stand apart', () => {
  const results = inGuest('tcg');
  const plot = results.notebook.content.cells.find((c) => c.type === 'plot') as PlotCell;
  const spec = chartSpec(plot, results.runs[0]!);
  assert.ok(spec.series.length > 0 && spec.series.every((s) => / \[tcg\]$/.test(s.name)), spec.series.map((s) => s.name).join(', '));
  assert.ok(chartSpec(plot, fixture().runs[0]!).series.every((s) => !s.name.includes('[')));
  const html = renderReport(results);
  assert.match(html, /<code>baseline \[tcg\]<\/code>/);
  assert.match(html, /<strong>accel tcg<\/strong>: measured in a QEMU guest under TCG/);
  assert.doesNotMatch(renderReport(fixture()), /\[tcg\]|accel tcg/);
});
