#!/usr/bin/env node
// `npm test`: build, lint (`npm run lint`: typescript-eslint and the layer rule), then every suite —
// the compiled *.test.js files and the end-to-end suite with
// Node's test runner, libsaio's `make -C preload check`, saio-load's `make -C native check`, and
// the kernel module's QEMU harness —
// and a last line `N passed, N failed` over all of them. Arguments filter: a suite name
// (`lint`, `preload`, `native`, `kmod`) or a substring of test file paths (`npm test -- store bundle`).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const filters = process.argv.slice(2);
const SUITES = ['lint', 'preload', 'native', 'kmod'];

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

/** Counts from the last `N passed, N failed` line a suite printed (null when it printed none). */
function countsFrom(text) {
  const all = [...text.matchAll(/^(?:\S+: )?(\d+) passed, (\d+) failed/gm)];
  const last = all[all.length - 1];
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : null;
}

const results = [];

// 0. Lint (`npm run lint`): one problem fails the suite (each is named with its file, line and rule).
if (filters.length === 0 || filters.includes('lint')) {
  console.log('\n=== lint: npm run lint');
  const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: root, stdio: 'inherit' });
  results.push({ suite: 'lint', ok: r.status === 0, passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1 });
}

// 1. Node's test runner: unit and integration tests (compiled), then the browser end-to-end suite.
const e2eDir = path.join(root, 'tests', 'e2e');
const e2e = existsSync(e2eDir) ? readdirSync(e2eDir).filter((n) => n.endsWith('.test.mjs')).sort().map((n) => path.join(e2eDir, n)) : [];
const nodeFilters = filters.filter((f) => !SUITES.includes(f));
const files = [...find(path.join(root, 'dist'), []).sort(), ...e2e].filter(
  (f) => (filters.length === 0 ? true : nodeFilters.some((s) => f.includes(s))),
);
if (files.length > 0) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'saio-test-'));
  const tap = path.join(tmp, 'node.tap');
  // Tests that start servers share two CPUs: one file at a time, so loads never overlap.
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
    { cwd: root, stdio: 'inherit' },
  );
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const num = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  results.push({ suite: 'node', ok: r.status === 0, passed: num('pass'), failed: num('fail') + num('cancelled') });
  rmSync(tmp, { recursive: true, force: true });
} else if (nodeFilters.length > 0) {
  console.error(`test: no test files match ${nodeFilters.join(' ')}`);
  results.push({ suite: 'node', ok: false, passed: 0, failed: 1 });
}

// 2. The C suites print their own `N passed, N failed`; their output is shown as it comes.
function suite(name, argv) {
  if (filters.length > 0 && !filters.includes(name)) return;
  console.log(`\n=== ${name}: ${argv.join(' ')}`);
  const r = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 28 });
  process.stdout.write(r.stdout ?? '');
  const counts = countsFrom(r.stdout ?? '');
  results.push({ suite: name, ok: r.status === 0 && counts !== null, passed: counts?.passed ?? 0, failed: counts ? counts.failed : 1 });
}
if (existsSync(path.join(root, 'preload', 'Makefile'))) suite('preload', ['make', '-C', 'preload', '--no-print-directory', 'check']);
// saio-load: C unit tests, then the generator against real nginx/redis/memcached and wrong servers.
if (existsSync(path.join(root, 'native', 'Makefile'))) suite('native', ['make', '-C', 'native', '--no-print-directory', 'check']);
if (existsSync(path.join(root, 'kmod', 'tests', 'run.sh'))) suite('kmod', ['bash', 'kmod/tests/run.sh']);

console.log('\n=== summary');
for (const s of results) console.log(`${s.suite}: ${s.ok ? 'ok' : 'FAILED'} (${s.passed} passed, ${s.failed} failed)`);
const passed = results.reduce((n, s) => n + s.passed, 0);
const failed = results.reduce((n, s) => n + s.failed, 0);
const ok = results.length > 0 && results.every((s) => s.ok);
console.log(`${passed} passed, ${ok ? failed : Math.max(failed, 1)} failed`);
process.exit(ok ? 0 : 1);
