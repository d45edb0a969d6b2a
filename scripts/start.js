#!/usr/bin/env node
// `npm start`: the desktop app where Electron is installed, else web mode (`saio-lab serve`),
// saying which. Extra arguments go to `saio-lab serve` (npm start -- --port 8080).
//
// Electron's binary is fetched by its install script, which package.json's allowScripts leaves
// off (it needs the network and would fail `npm ci` without it): fetch it once with
// `node node_modules/electron/install.js`. Without the binary, require('electron') throws.
// Native modules (better-sqlite3, node-pty) are built for Node; for the desktop app rebuild them
// for Electron first (npx electron-builder install-app-deps), and back (npm rebuild) for the CLI
// and the tests.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
if (!existsSync(path.join(root, 'dist', 'electron', 'main', 'main.js'))) {
  console.error('start: not built yet; run `npm run build` first');
  process.exit(2);
}

let electron;
try {
  electron = require('electron');
  if (typeof electron !== 'string' || !existsSync(electron)) electron = undefined;
} catch {
  electron = undefined;
}

let child;
if (electron && !process.env.SAIO_LAB_WEB) {
  console.error(`start: launching the desktop app (${electron})`);
  child = spawn(electron, [root], { stdio: 'inherit' });
} else {
  console.error(
    `start: ${electron ? 'SAIO_LAB_WEB is set' : 'Electron is not installed here (`node node_modules/electron/install.js` downloads it)'}: starting web mode instead — open the URL below in a browser`,
  );
  child = spawn(process.execPath, [path.join(root, 'bin', 'saio-lab.js'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
}
// Ctrl-C reaches the child through the terminal; a SIGTERM to this script is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
