import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture } from './fixture';
import { writeReplayOutputs } from './write';

test('writes results.json, results.csv and report.html into a new folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'saio-report-'));
  try {
    const out = path.join(root, 'nested', 'out');
    const paths = writeReplayOutputs(out, fixture());
    assert.deepEqual(paths, {
      json: path.join(out, 'results.json'),
      csv: path.join(out, 'results.csv'),
      summaries: path.join(out, 'summaries.csv'),
      comparisons: path.join(out, 'comparisons.csv'),
      html: path.join(out, 'report.html'),
    });
    assert.equal(JSON.parse(fs.readFileSync(paths.json, 'utf8')).runs[0].points.length, 12);
    assert.equal(fs.readFileSync(paths.csv, 'utf8').split('\r\n').length, 1 + 12 + 1);
    assert.ok(fs.statSync(paths.html).size > 500 * 1024);
    assert.deepEqual(fs.readdirSync(out).sort(), ['comparisons.csv', 'report.html', 'results.csv', 'results.json', 'summaries.csv']);
    // Writing again replaces the files in place.
    writeReplayOutputs(out, fixture());
    assert.equal(fs.readdirSync(out).length, 5);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
