// The shipped notebooks of issue 11, replayed as CI does (`saio-lab replay … --quick`): exit 0,
// every point verified with counts of the responses checked, and every figure of the report
// drawn in a real Chromium with a marker for each point it plots.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot } from '../engine/paths';
import { renderedDom } from './chromium';

const dir = mkdtempSync(join(tmpdir(), 'saio-shipped-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(repoRoot(), 'bin', 'saio-lab.js');

function replay(notebook: string, out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, '--db', join(dir, `${notebook}.db`), 'replay', join(repoRoot(), 'experiments', `${notebook}.json`), '--quick', '--out', out],
      { maxBuffer: 1 << 26, timeout: 600_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface PointJson {
  kind: string;
  status: string;
  verified: boolean;
  reason: string | null;
  config: string;
  rate_per_s: number | null;
  verification: { responses_checked: number; responses_mismatched: number; after: { ok: boolean } | null } | null;
  warnings: string[];
}

const SHIPPED = {
  'seed-figures': { cells: ['throughput', 'scaling', 'tail'], plots: ['throughput-plot', 'scaling-plot', 'tail-plot', 'omission-plot'] },
  'kv-stores': { cells: ['redis-mix', 'redis-rate', 'memcached-mix', 'memcached-rate'], plots: ['redis-mix-plot', 'redis-rate-plot', 'memcached-mix-plot', 'memcached-rate-plot'] },
} as const;

for (const [name, want] of Object.entries(SHIPPED)) {
  describe(`experiments/${name}.json --quick`, () => {
    const out = join(dir, name);
    let ran: { code: number | null; stdout: string; stderr: string };
    let results: { runs: { cell_id: string; status: string; points: PointJson[] }[]; notebook: { content: { cells: { id: string; type: string; y?: string | string[] }[] } } };

    test('exits 0: every run ok, every point verified, with the count of responses checked', async () => {
      ran = await replay(name, out);
      assert.equal(ran.code, 0, `${ran.stdout.slice(-3000)}\n${ran.stderr.slice(-2000)}`);
      results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      assert.deepEqual(
        results.runs.map((r) => r.cell_id),
        [...want.cells],
      );
      for (const run of results.runs) {
        assert.equal(run.status, 'ok', run.cell_id);
        for (const p of run.points) {
          assert.equal(p.status, 'ok', `${run.cell_id} ${p.config}: ${p.reason}`);
          assert.equal(p.verified, true, `${run.cell_id} ${p.config}: ${p.reason}`);
          assert.ok((p.verification?.responses_checked ?? 0) > 0, `${run.cell_id} ${p.config}: responses checked`);
          assert.equal(p.verification?.responses_mismatched, 0);
          assert.equal(p.verification?.after?.ok, true);
        }
      }
      // The open-loop cells probed capacity first, then offered rates from it.
      for (const run of results.runs.filter((r) => r.cell_id.endsWith('rate') || r.cell_id === 'tail')) {
        assert.ok(run.points.some((p) => p.kind === 'probe'));
        assert.ok(run.points.filter((p) => p.kind === 'measure').every((p) => (p.rate_per_s ?? 0) > 0));
      }
      // The CLI prints the counts it checked and marks warned points.
      assert.match(ran.stdout, /checked/);
      const warned = results.runs.flatMap((r) => r.points).filter((p) => p.warnings.length > 0);
      if (warned.length > 0) assert.match(ran.stdout, /WARNING: /);
    });

    test('the report draws every figure: a marker for each plotted point, in Chromium', () => {
      assert.ok(results, 'the replay ran');
      const dom = renderedDom(join(out, 'report.html'), dir, 15_000);
      const plots = results.notebook.content.cells.filter((c) => c.type === 'plot');
      assert.deepEqual(
        plots.map((c) => c.id),
        [...want.plots],
      );
      for (const plot of plots) {
        const at = dom.indexOf(`id="plot-${plot.id}"`);
        assert.ok(at >= 0, `${plot.id} is in the report`);
        const next = dom.indexOf('id="plot-', at + 10);
        const section = dom.slice(at, next < 0 ? undefined : next);
        assert.match(section, /class="main-svg"/, `${plot.id}: plotly drew it`);
        const experiment = (plot as unknown as { experiment: string }).experiment;
        const run = results.runs.find((r) => r.cell_id === experiment)!;
        const measured = run.points.filter((p) => p.kind === 'measure').length;
        const ys = Array.isArray(plot.y) ? plot.y.length : 1;
        assert.equal((section.match(/<path class="point[ "]/g) ?? []).length, measured * ys, `${plot.id}: one marker per point and y metric`);
      }
    });
  });
}
