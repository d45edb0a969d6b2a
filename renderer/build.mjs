#!/usr/bin/env node
// Builds the renderer: type-checks it (renderer/tsconfig.json), bundles the app with esbuild into
// dist/renderer/ (ES modules, plotly split into its own lazily loaded chunk, no eval, no inline
// script: it runs under `script-src 'self'`), and bundles the renderer's unit tests into
// dist/renderer-tests/*.test.js so `npm test` runs them with node --test.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const out = path.join(root, 'dist', 'renderer');
const testsOut = path.join(root, 'dist', 'renderer-tests');
const args = new Set(process.argv.slice(2));

if (!args.has('--no-check')) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { main: path.join(here, 'src', 'main.tsx') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120'],
  jsx: 'automatic',
  minify: !args.has('--dev'),
  sourcemap: true,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  loader: { '.woff2': 'file', '.woff': 'file' },
  define: { 'process.env.NODE_ENV': args.has('--dev') ? '"development"' : '"production"' },
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));

function tests(dir, acc = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) tests(p, acc);
    else if (/\.test\.tsx?$/.test(name)) acc.push(p);
  }
  return acc;
}
const testFiles = tests(path.join(here, 'src'));
if (testFiles.length > 0) {
  await build({
    entryPoints: testFiles,
    outdir: testsOut,
    outbase: path.join(here, 'src'),
    outExtension: { '.js': '.js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: ['node20'],
    jsx: 'automatic',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}
