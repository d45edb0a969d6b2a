#!/usr/bin/env node
// Web mode for the e2e suite while `saio-lab serve` is not in the CLI: the same pieces `serve`
// wires (Lab, JobManager, handlers, the web server), from dist/. Prints the URL with its token as
// the first stdout line, like `serve`. Usage: node fallback-serve.cjs --db PATH
'use strict';
const path = require('node:path');
const dist = path.join(__dirname, '..', '..', 'dist', 'electron');
const { Lab } = require(path.join(dist, 'engine', 'lab.js'));
const { JobManager } = require(path.join(dist, 'api', 'jobs.js'));
const { createHandlers } = require(path.join(dist, 'api', 'handlers.js'));
const { startWebServer } = require(path.join(dist, 'api', 'web-server.js'));

const db = process.argv[process.argv.indexOf('--db') + 1];
const lab = new Lab(db);
const jobs = new JobManager(lab, { pty: true });
startWebServer({ handlers: createHandlers(lab, jobs), jobs, port: 0 }).then((s) => {
  process.stdout.write(`${s.url}\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
