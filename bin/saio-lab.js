#!/usr/bin/env node
// Entry point of the `saio-lab` command: the compiled CLI lives in dist/ (npm run build).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'electron', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('saio-lab: not built yet; run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write('saio-lab: internal error: ' + (e && e.stack ? e.stack : String(e)) + '\n');
    process.exitCode = 70;
  });
