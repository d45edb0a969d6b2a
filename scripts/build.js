#!/usr/bin/env node
// One command builds everything that exists: the TypeScript (engine, CLI, Electron main) and,
// where their sources are present, the C parts (each folder with a Makefile builds itself).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

function step(label, argv, opts = {}, hint = '') {
  const t0 = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) {
    console.error(`build: ${label}: cannot run ${argv[0]}: ${r.error.message}${hint ? `; ${hint}` : ''}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`build: ${label} failed (exit ${r.status})${hint ? `; ${hint}` : ''}`);
    process.exit(r.status || 1);
  }
  console.error(`build: ${label} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// A clean dist/: a test or module whose source was deleted must not linger and run.
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
step('typescript', [process.execPath, path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
// The renderer (React + plotly) into dist/renderer/, after the TypeScript step (which it type-checks
// against: it imports the API contract and the notebook schema).
if (existsSync(path.join(root, 'renderer', 'build.mjs'))) step('renderer', [process.execPath, path.join(root, 'renderer', 'build.mjs')]);
// What each C folder needs from apt (all of it is in scripts/apt-packages.txt).
const C_NEEDS = {
  preload: 'it needs make, gcc and liburing: apt-get install build-essential liburing-dev',
  native: 'saio-load needs make and gcc: apt-get install build-essential',
};
for (const dir of ['preload', 'native']) {
  if (existsSync(path.join(root, dir, 'Makefile'))) step(dir, ['make', '-C', dir, '--no-print-directory'], {}, C_NEEDS[dir]);
}
