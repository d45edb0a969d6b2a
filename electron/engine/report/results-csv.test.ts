import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POINT_COLUMNS } from '../common/metrics';
import { fixture, FIXTURE_FAIL_REASON } from './fixture';
import { COMPARISON_COLUMNS, comparisonsCsv, CSV_COLUMNS, SUMMARY_COLUMNS, summariesCsv, csvField, resultsCsv } from './results-csv';

// A minimal RFC 4180 reader, to check the writer by reading its output back.
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(field), (field = ''));
    else if (c === '\r' && text[i + 1] === '\n') {
      (row.push(field), rows.push(row), (row = []), (field = ''), i++);
    } else field += c;
  }
  if (field || row.length) (row.push(field), rows.push(row));
  return rows;
}

test('header row then one row per point, every row the same width', () => {
  const text = resultsCsv(fixture());
  assert.ok(text.endsWith('\r\n'));
  const rows = parseCsv(text);
  // The header is the one list of columns: which run and cell, the point's place in the plan, every
  // metric of common/metrics.ts in its order, then verification, CPU and what went wrong.
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  const status = CSV_COLUMNS.indexOf('status');
  assert.deepEqual(CSV_COLUMNS.slice(0, 3), ['run_id', 'cell_id', 'seq'], 'which run and cell, then the point');
  assert.ok(
    ['kind', 'backend', 'server', 'config', 'connections', 'workers', 'rate_per_s', 'repeat'].every((c) => CSV_COLUMNS.indexOf(c) > 2 && CSV_COLUMNS.indexOf(c) < status),
    'the plan before the status',
  );
  assert.deepEqual(CSV_COLUMNS.slice(status + 1, status + 1 + POINT_COLUMNS.length), POINT_COLUMNS);
  assert.deepEqual(CSV_COLUMNS.slice(status + 1 + POINT_COLUMNS.length), ['errors', 'verified', 'requests_per_cpu_s', 'cpu_server_s', 'cpu_loadgen_s', 'warnings', 'reason']);
  assert.equal(new Set(CSV_COLUMNS).size, CSV_COLUMNS.length, 'no column twice');
  assert.equal(rows.length, 1 + 12);
  for (const r of rows) assert.equal(r.length, CSV_COLUMNS.length);
});

test('a reason with a comma and quotes is quoted and reads back intact; null is empty', () => {
  const text = resultsCsv(fixture());
  assert.ok(text.includes('"wrk exited with code 1: ""socket: too many open files"", giving up"'));
  const failed = parseCsv(text).find((r) => r[CSV_COLUMNS.indexOf('status')] === 'failed')!;
  const col = (name: string) => failed[CSV_COLUMNS.indexOf(name)];
  assert.equal(col('reason'), FIXTURE_FAIL_REASON);
  assert.equal(col('requests_per_s'), '');
  assert.equal(col('verified'), 'false');
  assert.equal(col('cell_id'), 'sweep');
  assert.equal(col('config'), 'w=1 c=1000 closed', 'the configuration key');
  assert.equal(col('kind'), 'measure');
});

test('csvField quotes exactly the fields that need it', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField(12.5), '12.5');
  assert.equal(csvField(true), 'true');
  assert.equal(csvField(null), '');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  assert.equal(csvField('cr\rhere'), '"cr\rhere"');
});

test('summaries.csv and comparisons.csv: one row per series and metric, and per backend against the reference', () => {
  const r = fixture();
  const summaries = parseCsv(summariesCsv(r));
  assert.deepEqual(summaries[0], [...SUMMARY_COLUMNS]);
  assert.equal(summaries.length, 1 + r.summaries.length);
  const rps = summaries.find((row) => row[2] === 'saio-uring' && row[3] === 'w=1 c=100 closed' && row[4] === 'requests_per_s')!;
  assert.equal(rps[SUMMARY_COLUMNS.indexOf('n')], '2');
  assert.equal(rps[SUMMARY_COLUMNS.indexOf('ci_low')], '', 'no interval below 6 repeats');
  assert.equal(rps[SUMMARY_COLUMNS.indexOf('samples')]!.split(';').length, 2, 'every repeat exported');
  const comparisons = parseCsv(comparisonsCsv(r));
  assert.deepEqual(comparisons[0], [...COMPARISON_COLUMNS]);
  const row = comparisons.find((c) => c[2] === 'w=1 c=10 closed' && c[5] === 'requests_per_s')!;
  assert.equal(row[3], 'saio-uring');
  assert.equal(row[4], 'baseline');
  assert.equal(Number(row[6]).toFixed(2), '1.30');
  assert.equal(row[10], '~', 'two pairs can show no difference');
});
