#!/usr/bin/env node
// `npm test`: build, then run every compiled *.test.js with Node's test runner. Extra arguments
// filter test files by substring (npm test -- store bundle).
'use strict';
const { spawnSync } = require('node:child_process');
const { readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const filters = process.argv.slice(2);

const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status || 1);

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// The end-to-end suite (web mode in Chromium) runs from its sources, after everything else.
const e2eDir = path.join(root, 'tests', 'e2e');
const e2e = statSync(e2eDir, { throwIfNoEntry: false })?.isDirectory()
  ? readdirSync(e2eDir).filter((n) => n.endsWith('.test.mjs')).sort().map((n) => path.join(e2eDir, n))
  : [];
const files = [...find(path.join(root, 'dist'), []).sort(), ...e2e]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`test: no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
// Tests that start servers share two CPUs: run files one at a time so loads never overlap.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status === null ? 1 : r.status);
