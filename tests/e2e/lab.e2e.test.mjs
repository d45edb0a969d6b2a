// End to end, in Chromium (playwright-core, the system's /usr/bin/chromium): web mode started on
// a temporary database, then what a researcher does — create a notebook from the quickstart, edit
// an experiment (and see a validation error next to the field), run it with live output and
// progress, see the charts, run again after an edit, compare the two runs, restore an older
// revision, export and import a bundle; pick the server, protocol settings, driver and an open-loop
// load at fractions of capacity in the form, run it with saio-load and see the tail-latency chart
// and the generator's warnings — and the time from opening a notebook with 50 real runs to its
// charts drawn. Screenshots and timings go to out/e2e-screenshots/.
//
// Robust on a loaded 2-core machine: every wait is on a condition with a generous timeout, and the
// server started here is always stopped (its whole process group) whatever happens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = path.join(root, 'out', 'e2e-screenshots');
const LONG = 240_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let tmp;
let server;
let serverLog = '';
let url;
let origin;
let token;
let browser;
let page;
const pageErrors = [];
const timings = {};

function cliHasServe() {
  const src = path.join(root, 'dist', 'electron', 'cli', 'main.js');
  return existsSync(src) && /\bserve\b/.test(readFileSync(src, 'utf8'));
}

function startServer(db) {
  // `saio-lab serve` when the CLI has it; until then the same pieces wired by fallback-serve.cjs.
  const argv = cliHasServe()
    ? [path.join(root, 'bin', 'saio-lab.js'), '--db', db, 'serve', '--port', '0']
    : [path.join(root, 'tests', 'e2e', 'fallback-serve.cjs'), '--db', db];
  const child = spawn(process.execPath, argv, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => (serverLog += d));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 60 s; stderr:\n${serverLog}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before printing its URL; stderr:\n${serverLog}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        const m = /https?:\/\/\S+/.exec(out.slice(0, nl));
        if (!m) return reject(new Error(`first line of serve is not a URL: ${out.slice(0, nl)}`));
        resolve({ child, url: m[0] });
      }
    });
  });
}

function stopServer() {
  if (!server || server.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = (sig) => {
      try {
        process.kill(-server.pid, sig);
      } catch {
        /* gone */
      }
    };
    const t = setTimeout(() => kill('SIGKILL'), 8000);
    server.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    kill('SIGTERM');
  });
}

process.on('exit', () => {
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** The API as a script would call it (header token): for setup that is not the UI's job. */
async function api(method, input) {
  const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-SAIO-Lab-Token': token }, body: JSON.stringify(input) });
  const r = await res.json();
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`);
  return r.value;
}

async function shot(name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function waitNotice(text) {
  await page.locator('[data-testid^="notice-"]', { hasText: text }).first().waitFor({ timeout: LONG });
}

/** Sets a form field by its JSON path, as typing would. */
async function fill(pathName, value) {
  const input = page.locator(`[name="${pathName}"]`);
  await input.click();
  await input.fill(value);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(path.join(tmpdir(), 'saio-e2e-'));
  const s = await startServer(path.join(tmp, 'lab.db'));
  server = s.child;
  url = s.url;
  const u = new URL(url);
  origin = u.origin;
  token = u.searchParams.get('token');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, acceptDownloads: true });
  context.setDefaultTimeout(60_000);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  try {
    writeFileSync(path.join(shots, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    await browser?.close();
  } finally {
    await stopServer();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
});

test('the lab in a browser: notebook, validation, runs, charts, history, compare, bundles', { timeout: 900_000 }, async (t) => {
  await t.test('opens from the URL serve printed, under its CSP', async () => {
    await page.goto(url);
    await page.locator('.sidebar').waitFor();
    await page.locator('.workspace.empty').waitFor();
  });

  await t.test('creates a notebook from the shipped quickstart', async () => {
    await page.getByRole('button', { name: '+ New notebook' }).click();
    await page.getByLabel('Notebook name').fill('quickstart');
    await page.locator('select[aria-label="Start from"] option[value="quickstart.json"]').waitFor({ state: 'attached' });
    await page.getByLabel('Start from').selectOption('quickstart.json');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('[data-cell-id="nginx-keepalive"]').waitFor();
    await page.locator('.md h2', { hasText: 'Quickstart' }).waitFor();
    await shot('notebook');
  });

  await t.test('shows a validation error next to the field as one types', async () => {
    await fill('cells[1].sweep.connections', '10, -5');
    const err = page.locator('[data-error-path="cells[1].sweep.connections"]');
    await err.waitFor();
    assert.match(await err.innerText(), /item 2 \(-5\): expected a number ≥ 1/);
    // The error is inside the connections field's own label, next to its input.
    assert.equal(await page.locator('label.field.invalid[data-path="cells[1].sweep.connections"] input').count(), 1);
    await shot('validation');
    // A multiple-of-threads rule comes from the schema's refinement, also mapped to its item.
    await fill('cells[1].driver.threads', '3');
    await page.locator('[data-error-path="cells[1].sweep.connections"]', { hasText: 'multiple of driver.threads' }).waitFor();
    await fill('cells[1].driver.threads', '1');
    // Down to 2 connection counts × 1 repeat (× the 2 backends: 4 points), so the suite stays short.
    await fill('cells[1].sweep.connections', '10, 20');
    await fill('cells[1].repeats', '1');
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+s');
    await waitNotice('Saved revision');
  });

  await t.test('hosts: a host added in the notebook, a cell placed on it, an undeclared host refused next to its field', async () => {
    const hosts = page.locator('[data-testid="notebook-hosts"]');
    await hosts.locator('input[name="new-host"]').fill('srv');
    await hosts.getByRole('button', { name: '+ host' }).click();
    await fill('hosts.srv.ssh', 'root@10.213.0.2');
    await page.locator('select[name="cells[1].server_host"]').selectOption('srv');
    await page.locator('select[name="cells[1].driver_hosts"] option[value="srv"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
    await shot('hosts');
    // A destination ssh would read as an option is refused next to the host's field.
    await fill('hosts.srv.ssh', '-oProxyCommand=x');
    await page.locator('[data-error-path="hosts.srv.ssh"]', { hasText: 'expected ssh://user@host[:port]' }).waitFor();
    // The host removed while a cell still names it: the cell's field says which hosts there are.
    await hosts.locator('.host-row[data-host="srv"]').getByRole('button', { name: 'remove' }).click();
    await page.locator('[data-error-path="cells[1].server_host"]', { hasText: 'a host of the notebook\'s "hosts" ("local"), found "srv"' }).waitFor();
    await page.locator('select[name="cells[1].server_host"]').selectOption('local');
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
    // A QEMU guest: its settings in its row; the server placed in it takes the load generator along, and back.
    await hosts.locator('input[name="new-host"]').fill('vm');
    await hosts.getByRole('button', { name: '+ QEMU guest' }).click();
    assert.equal(await page.locator('[name="hosts.vm.cpus"]').inputValue(), '2');
    await page.locator('select[name="cells[1].server_host"]').selectOption('vm');
    assert.equal(await page.locator('select[name="cells[1].driver_hosts"]').inputValue(), 'vm');
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
    await fill('hosts.vm.memory_mb', '64');
    await page.locator('[data-error-path="hosts.vm.memory_mb"]').waitFor();
    await fill('hosts.vm.memory_mb', '2048');
    await shot('hosts-guest');
    await page.locator('select[name="cells[1].server_host"]').selectOption('local');
    assert.equal(await page.locator('select[name="cells[1].driver_hosts"]').inputValue(), 'local');
    await hosts.locator('.host-row[data-host="vm"]').getByRole('button', { name: 'remove' }).click();
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
  });

  await t.test('runs the experiment with live progress and output (Ctrl+Enter), charts appear', async () => {
    const progress = page.locator('[data-testid="progress"]');
    await page.locator('[name="cells[1].sweep.connections"]').click();
    await page.keyboard.press('Control+Enter');
    await progress.locator('[data-testid="progress-point"]', { hasText: /point \d of 4/ }).waitFor({ timeout: LONG });
    await page.locator('[data-testid="terminal"] .xterm-rows', { hasText: /\[(server|driver)/ }).waitFor({ timeout: LONG });
    await shot('run-live');
    await page.locator('[data-testid="progress"][data-state="done"]').waitFor({ timeout: LONG });
    const terminal = await page.locator('[data-testid="terminal"] .xterm-rows').innerText();
    assert.match(terminal, /run finished/);
    const plot = page.locator('[data-testid="plot-throughput"]');
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="plot-throughput"]');
      return el && el.getAttribute('data-state') === 'drawn' && Number(el.getAttribute('data-points')) >= 2;
    }, null, { timeout: LONG });
    assert.ok((await plot.locator('.scatterlayer .trace').count()) >= 1, 'plotly drew the traces');
    await page.locator('[data-testid="plot-tail-latency"][data-state="drawn"]').waitFor();
    await plot.scrollIntoViewIfNeeded();
    await shot('notebook-charts');
  });

  await t.test('shows the run: results, latency percentiles, placement of threads on CPUs', async () => {
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.locator('[data-testid="run-detail"]').waitFor();
    for (const id of ['chart-throughput', 'chart-latency', 'chart-placement']) {
      await page.locator(`[data-testid="${id}"][data-state="drawn"]`).waitFor({ timeout: LONG });
    }
    assert.ok(Number(await page.locator('[data-testid="chart-placement"]').getAttribute('data-points')) > 0, 'placement samples drawn');
    // Issue 12: saio-uring against baseline with its 95% CI and a verdict (`~` with two repeats),
    // each configuration's median with its interval, and the CPU each point cost.
    const comparisons = page.locator('[data-testid="run-comparisons"]');
    await comparisons.waitFor({ timeout: LONG });
    assert.match(await comparisons.innerText(), /saio-uring\s+baseline\s+req\/s\s+×\d\.\d{3}\s+×\d\.\d{3} – ×\d\.\d{3}/);
    const verdicts = await comparisons.locator('[data-testid="verdict"]').allInnerTexts();
    assert.ok(verdicts.length >= 2 && verdicts.every((v) => ['~', 'faster', 'slower', 'lower', 'higher'].includes(v)), verdicts.join());
    assert.match(await page.locator('[data-testid="run-summaries"]').innerText(), /req\/CPU-s/);
    assert.match(await page.locator('[data-testid="points"] thead').innerText(), /req\/CPU-s/);
    await shot('run-results');
    await page.locator('[data-testid="chart-placement"]').scrollIntoViewIfNeeded();
    await shot('placement');
    // Export a chart as SVG (Plotly.downloadImage).
    const dl = page.waitForEvent('download', { timeout: LONG });
    await page.locator('[data-testid="chart-throughput"] button', { hasText: 'SVG' }).click();
    const svg = await dl;
    const svgPath = path.join(tmp, 'chart.svg');
    await svg.saveAs(svgPath);
    assert.match(readFileSync(svgPath, 'utf8').slice(0, 400), /<svg/);
  });

  await t.test('a second run after an edit (a new revision), then both compared with ratios', async () => {
    await page.getByRole('tab', { name: 'Notebook' }).click();
    await fill('cells[1].protocol.file_size', '4096');
    await page.getByLabel('Revision message').fill('4 KiB file');
    await page.keyboard.press('Enter');
    await waitNotice('4 KiB file');
    await page.locator('[name="cells[1].sweep.connections"]').click();
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid="progress"][data-state="running"]').waitFor({ timeout: LONG });
    await page.locator('[data-testid="progress"][data-state="done"]').waitFor({ timeout: LONG });
    await page.getByRole('tab', { name: 'Compare' }).click();
    const boxes = page.locator('[data-testid="run-list"] input[type="checkbox"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-list"] tbody tr').length >= 2, null, { timeout: LONG });
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.locator('[data-testid="chart-compare"][data-state="drawn"]').waitFor({ timeout: LONG });
    assert.ok(Number(await page.locator('[data-testid="chart-compare"]').getAttribute('data-traces')) >= 4);
    await page.locator('[data-testid="ratio"]', { hasText: '×' }).first().waitFor();
    // One row per configuration: 2 backends × 2 connection counts.
    assert.equal(await page.locator('[data-testid="compare-table"] tbody tr').count(), 4);
    // Against the baseline run: a verdict per configuration (independent runs, two repeats each: ~).
    const compareVerdicts = (await page.locator('[data-testid="compare-verdict"]').allInnerTexts()).filter((v) => v !== '');
    assert.equal(compareVerdicts.length, 4, compareVerdicts.join());
    assert.ok(compareVerdicts.every((v) => ['~', 'faster', 'slower'].includes(v)), compareVerdicts.join());
    // The repeat policy in the form: a fixed count, or rounds until the median's CI is narrow.
    await page.getByRole('tab', { name: 'Notebook' }).click();
    await page.locator('select[name="cells[1].repeats.kind"]').selectOption('policy');
    for (const f of ['min', 'max', 'target_ci']) await page.locator(`[name="cells[1].repeats.${f}"]`).waitFor();
    await fill('cells[1].repeats.max', '4');
    await page.locator('[data-path="cells[1].repeats.max"]', { hasText: /needs ≥ 6 repeats/ }).waitFor({ timeout: LONG });
    await page.locator('select[name="cells[1].repeats.kind"]').selectOption('fixed');
    await fill('cells[1].repeats', '2');
    await page.getByRole('tab', { name: 'Compare' }).click();
    await shot('compare');
  });

  await t.test('history: revisions with messages, a diff, restore of the first', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="revisions"] tbody tr').length >= 3, null, { timeout: LONG });
    await page.locator('[data-testid="diff"]', { hasText: 'file_size' }).waitFor();
    await shot('history');
    const rows = page.locator('[data-testid="revisions"] tbody tr');
    const n = await rows.count();
    await rows.nth(n - 1).getByRole('button', { name: 'Restore' }).click();
    await waitNotice('Restored');
    await page.waitForFunction((k) => document.querySelectorAll('[data-testid="revisions"] tbody tr').length === k + 1, n, { timeout: LONG });
    await page.getByRole('tab', { name: 'Notebook' }).click();
    assert.equal(await page.locator('[name="cells[1].sweep.connections"]').inputValue(), '10, 50, 100, 200');
    assert.equal(await page.locator('[name="cells[1].protocol.file_size"]').inputValue(), '1024');
  });

  await t.test('exports a bundle and imports it back', async () => {
    const dl = page.waitForEvent('download', { timeout: LONG });
    await page.getByRole('button', { name: 'Export' }).click();
    const file = await dl;
    const saved = path.join(tmp, file.suggestedFilename());
    await file.saveAs(saved);
    assert.ok(statSync(saved).size > 1000);
    await waitNotice('Exported');
    await page.locator('[data-testid="import-input"]').setInputFiles(saved);
    await waitNotice('Imported');
    const text = await page.locator('[data-testid="notice-info"]', { hasText: 'Imported' }).first().innerText();
    assert.match(text, /0 new revisions, 0 new runs/, 'importing what is there adds nothing (idempotent)');
  });

  await t.test('server, protocol, driver and rate sweep in the form; a saio-load rate sweep draws tail latency against achieved rate, warnings marked', { timeout: 600_000 }, async () => {
    await page.getByRole('button', { name: '+ New notebook' }).click();
    await page.getByLabel('Notebook name').fill('kv');
    await page.locator('select[aria-label="Start from"] option[value="kv-stores.json"]').waitFor({ state: 'attached' });
    await page.getByLabel('Start from').selectOption('kv-stores.json');
    await page.getByRole('button', { name: 'Create' }).click();
    const cell = page.locator('[data-cell-id="redis-rate"]');
    await cell.waitFor();
    // The protocol's own fields: redis takes a workload, keys and sizes; no file.
    await cell.locator('fieldset[data-protocol="redis"]').waitFor();
    assert.equal(await page.locator('select[name="cells[2].protocol.workload"]').inputValue(), 'mixed');
    assert.equal(await page.locator('[name="cells[2].protocol.file_size"]').count(), 0);
    // Another server brings its protocol's settings; back again.
    await page.locator('select[name="cells[1].server.kind"]').selectOption('memcached');
    await page.locator('[data-cell-id="redis-mix"] fieldset[data-protocol="memcached"]').waitFor();
    await page.locator('select[name="cells[1].server.kind"]').selectOption('redis');
    await page.locator('[data-cell-id="redis-mix"] fieldset[data-protocol="redis"]').waitFor();
    // A driver that does not speak redis is refused next to the driver field; saio-load's own fields come back with it.
    assert.equal(await page.locator('[name="cells[2].driver.depth"]').count(), 1);
    await page.locator('select[name="cells[2].driver.kind"]').selectOption('wrk');
    const pairing = page.locator('[data-error-path="cells[2].driver.kind"]');
    await pairing.waitFor();
    assert.match(await pairing.innerText(), /expected a driver that speaks redis \(as redis does\), found "wrk"/);
    assert.equal(await page.locator('[name="cells[2].driver.depth"]').count(), 0);
    await page.locator('[data-error-path="cells[2].sweep.rate"]', { hasText: 'no rate sweep with driver "wrk"' }).waitFor();
    await shot('form-pairing-error');
    await page.locator('select[name="cells[2].driver.kind"]').selectOption('saio-load');
    await pairing.waitFor({ state: 'detached' });
    // The load: fractions of capacity (one out of range), then fixed rates.
    assert.equal(await page.locator('select[name="cells[2].sweep.rate:mode"]').inputValue(), 'capacity');
    await fill('cells[2].sweep.rate.of_capacity', '0.5, 3');
    const rateErr = page.locator('[data-error-path="cells[2].sweep.rate.of_capacity"]');
    await rateErr.waitFor();
    assert.match(await rateErr.innerText(), /item 2 \(3\): expected a number ≤ 2/);
    await fill('cells[2].sweep.rate.of_capacity', '0.5, 2');
    await rateErr.waitFor({ state: 'detached' });
    // Fixed rates instead: a modest one, and one no server here reaches (a fraction of a probed
    // capacity is no sure overload on a machine whose speed changes under other work) — so the
    // generator must warn. No quick warm-up, so that the window's first requests complete.
    await page.locator('select[name="cells[2].sweep.rate:mode"]').selectOption('rates');
    await fill('cells[2].sweep.rate', '5000, 2000000');
    await fill('cells[2].quick.warmup_s', '0');
    await page.locator('[data-testid="error-count"]').waitFor({ state: 'detached' });
    await shot('form-rate-sweep');
    await page.keyboard.press('Control+s');
    await waitNotice('Saved revision');
    await cell.getByRole('button', { name: '▶ Run' }).click();
    await page.locator('[data-testid="progress"][data-state="running"]').waitFor({ timeout: LONG });
    const ended = page.locator('[data-testid="progress"]:not([data-state="running"])');
    await ended.waitFor({ timeout: LONG });
    assert.equal(await ended.getAttribute('data-state'), 'done', await ended.innerText());
    // The plot cell: p99 and p99.9 against achieved requests/s, 2 backends × 2 rates × 2 percentiles.
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="plot-redis-rate-plot"]');
      return el && el.getAttribute('data-state') === 'drawn' && Number(el.getAttribute('data-points')) === 8;
    }, null, { timeout: LONG });
    assert.ok(Number(await page.locator('[data-testid="plot-redis-rate-plot"]').getAttribute('data-warned')) >= 1, '2,000,000/s: the generator warned');
    await page.locator('[data-testid="plot-redis-rate-plot"] [data-testid="chart-warned"]').waitFor();
    await page.locator('[data-testid="plot-redis-rate-plot"]').scrollIntoViewIfNeeded();
    await shot('rate-sweep-plot');
    // The run: the tail-latency figure, and the warning on its point.
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.locator('[data-testid="chart-tail-latency"][data-state="drawn"]').waitFor({ timeout: LONG });
    assert.equal(Number(await page.locator('[data-testid="chart-tail-latency"]').getAttribute('data-points')), 8);
    assert.ok((await page.locator('[data-testid="chart-tail-latency"] .scatterlayer .trace').count()) >= 4);
    // 2,000,000 requests/s cannot be served: the generator says how much was, on that point.
    const warning = page.locator('[data-testid="points"] [data-testid="point-warning"]', { hasText: 'of the offered load' }).first();
    await warning.waitFor();
    assert.match(await warning.innerText(), /⚠ .*achieved \d+(\.\d)?% of the offered load/);
    assert.equal(await page.locator('[data-testid="points"] tbody tr').count(), 4, '2 rates × 2 backends (fixed rates: no capacity probe)');
    await page.locator('[data-testid="chart-tail-latency"]').scrollIntoViewIfNeeded();
    await shot('rate-sweep-run');
    await page.getByRole('tab', { name: 'Notebook' }).click();
  });

  await t.test('a notebook with 50 real runs: time from opening it to its charts drawn', { timeout: 900_000 }, async () => {
    const quick = JSON.parse(readFileSync(path.join(root, 'experiments', 'quickstart.json'), 'utf8'));
    const exp = { ...quick.cells[1], id: 'tiny', title: 'one point', sweep: { connections: [10] }, repeats: 1, duration_s: 1, warmup_s: 0, quick: { duration_s: 1, warmup_s: 0 } };
    const content = {
      format: quick.format,
      title: 'Fifty runs',
      cells: [
        { id: 'notes', type: 'markdown', source: 'Fifty quick runs of one point, to time opening a notebook with many runs.' },
        exp,
        { id: 'throughput', type: 'plot', experiment: 'tiny', x: 'connections', y: 'requests_per_s', series: 'backend' },
        { id: 'tail', type: 'plot', experiment: 'tiny', x: 'requests_per_s', y: 'latency_p99_us', series: 'backend' },
      ],
    };
    const created = await api('notebooks.create', { name: 'fifty', content });
    const t0 = Date.now();
    // 50 real runs, one after another (one point each, quick durations). Every one must succeed:
    // a failed run here is an engine bug, not noise to be retried away.
    const made = 50;
    for (let i = 1; i <= made; i++) {
      const job = await api('runs.start', { ref: created.notebook.id, quick: true });
      for (;;) {
        const j = (await api('runs.jobs', {})).find((x) => x.job === job.job);
        if (j && j.state !== 'running') {
          assert.equal(j.state, 'done', `run ${i} of ${made} ended ${j.state}: ${j.error}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    timings.runs_in_notebook = made;
    timings.fifty_runs_made_s = (Date.now() - t0) / 1000;
    assert.equal((await api('runs.list', { ref: created.notebook.id })).length, made);
    // Fresh page: nothing cached. Then open the notebook from the sidebar and time the charts.
    await page.goto(origin + '/');
    const item = page.locator('[data-nb-item="fifty"]');
    await item.waitFor();
    const start = Date.now();
    await item.click();
    await page.waitForFunction(
      () => ['plot-throughput', 'plot-tail'].every((id) => {
        const el = document.querySelector(`[data-testid="${id}"]`);
        return el && el.getAttribute('data-state') === 'drawn' && Number(el.getAttribute('data-points')) >= 1;
      }),
      null,
      { timeout: LONG, polling: 'raf' },
    );
    timings.open_notebook_50_runs_to_charts_ms = Date.now() - start;
    await shot('fifty-notebook');
    const start2 = Date.now();
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="run-list"] tbody tr').length >= 50 &&
        ['chart-throughput', 'chart-latency', 'chart-placement'].every((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-state') === 'drawn'),
      null,
      { timeout: LONG, polling: 'raf' },
    );
    timings.runs_view_50_runs_to_charts_ms = Date.now() - start2;
    await shot('fifty-runs');
    console.log(`50-run notebook: open → charts drawn in ${timings.open_notebook_50_runs_to_charts_ms} ms; runs view (50 rows + 3 charts) in ${timings.runs_view_50_runs_to_charts_ms} ms`);
  });

  await t.test('no page errors (CSP violations, exceptions) along the way', () => {
    assert.deepEqual(pageErrors, []);
  });
});

// One renderer for notes (engine/common/markdown.ts): the same source must give the same DOM in
// report.html and in the app, each as Chromium parses it.
const MARKDOWN_SAMPLE = [
  '# One', '## Two', '### Three', '#### Four', '##### Five', '###### Six', '',
  'A *paragraph* with **bold**, `code <b>`, a [link](https://example.org/a?b=1&c=2), [mail](mailto:lab@example.org),',
  'a [script link](javascript:alert(1)), an image ![x](https://example.org/x.png) and <b>raw html</b>.', '',
  '> a quote', '> over two lines', '',
  '1. first', '2. second', '', '- bullet', '  continued', '- another', '', '---', '',
  '```sh', 'x < y && z', '```', '', '<script>alert(1)</script>',
].join('\n');

test('a note reads the same in report.html and in the app (Chromium)', { timeout: 120_000 }, async () => {
  const require = createRequire(import.meta.url);
  const { reportHtml } = require(path.join(root, 'dist', 'electron', 'engine', 'report', 'html.js'));
  const content = { format: 'saio-lab/notebook@2', title: 'Markdown sample', cells: [{ id: 'notes', type: 'markdown', source: MARKDOWN_SAMPLE }] };
  const created = await api('notebooks.create', { name: 'markdown-sample', content });
  const report = path.join(tmp, 'markdown-report.html');
  writeFileSync(report, reportHtml({ format: 'saio-lab/results@3', generated_at: new Date().toISOString(), notebook: { id: created.notebook.id, name: 'markdown-sample', revision_id: created.revision.id, content }, runs: [], elapsed_s: 0, quick: false, summaries: [], comparisons: [], noise: [], gates: [] }));
  const reportPage = await browser.newPage();
  try {
    await reportPage.goto(`file://${report}`);
    const inReport = await reportPage.locator('#cell-notes').evaluate((el) => el.innerHTML.trim());
    await page.goto(url);
    await page.locator('[data-nb-item="markdown-sample"]').click();
    const md = page.locator('[data-cell-id="notes"] .md');
    await md.locator('h2', { hasText: 'One' }).waitFor();
    const inApp = await md.evaluate((el) => el.innerHTML.trim());
    assert.equal(inApp, inReport);
    // What the sample exercises is really there (not two empty strings that agree).
    for (const tag of ['<h2>One</h2>', '<h6>Six</h6>', '<blockquote>', '<ol>', '<hr>', '<code class="language-sh">x &lt; y &amp;&amp; z', '&lt;script&gt;alert(1)&lt;/script&gt;', 'href="mailto:lab@example.org"']) {
      assert.ok(inApp.includes(tag), `${tag} in ${inApp}`);
    }
    assert.ok(!/<script|<img|href="javascript/.test(inApp), inApp);
  } finally {
    await reportPage.close();
  }
});

// The JSON editor of a cell says where its text stops being JSON by the engine's own rule
// (common/json-syntax.ts), so Chromium reports what Node reports for the same text.
test('a JSON syntax error reads the same in the app (Chromium) as in Node', { timeout: 120_000 }, async () => {
  const require = createRequire(import.meta.url);
  const { jsonSyntaxError } = require(path.join(root, 'dist', 'electron', 'engine', 'common', 'json-syntax.js'));
  const quick = JSON.parse(readFileSync(path.join(root, 'experiments', 'quickstart.json'), 'utf8'));
  await api('notebooks.create', { name: 'json-errors', content: quick });
  await page.goto(url);
  await page.locator('[data-nb-item="json-errors"]').click();
  const cell = page.locator('[data-cell-id="nginx-keepalive"]');
  await cell.getByRole('button', { name: 'JSON' }).click();
  const editor = cell.locator('textarea');
  for (const text of ['{"id": "nginx-keepalive",\n  "type": oops\n}', '{"id": "x",, "type": "experiment"}', '[1 2]', '{"a": 1} // note']) {
    await editor.fill(text);
    const shown = await cell.locator('.field-error[role="alert"]').innerText();
    assert.equal(shown, `JSON: ${jsonSyntaxError(text).message}`);
  }
  assert.deepEqual(pageErrors, []);
});

// Issue 16: a live run grows from its events (each carries the point and its placement samples);
// the page fetches the run once, not once per point. Measured for a 10-point and a 200-point run
// of the same cell: how many times the page fetched the run, and the lag from a point being
// stored (its ended_at) to its row showing in the points table. Judged on the fetch count, which
// must not grow with the run; the lags go to timings.json.
test('a live run grows point by point from its events: 10 and 200 points', { timeout: 1_500_000 }, async () => {
  const quick = JSON.parse(readFileSync(path.join(root, 'experiments', 'quickstart.json'), 'utf8'));
  for (const points of [10, 200]) {
    const cell = { ...quick.cells[1], id: 'grow', title: `${points} points`, backends: ['baseline'], sweep: { connections: [10, 20] }, repeats: points / 2, duration_s: 1, warmup_s: 0, quick: { duration_s: 1, warmup_s: 0 } };
    const name = `grow-${points}`;
    const created = await api('notebooks.create', { name, content: { format: quick.format, title: name, cells: [cell] } });
    await page.goto(url);
    await page.locator(`[data-nb-item="${name}"]`).click();
    await page.locator('[data-cell-id="grow"]').waitFor();
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.evaluate(() => {
      window.__rows = [];
      const count = () => document.querySelectorAll('[data-testid="points"] tbody tr').length;
      new MutationObserver(() => {
        const n = count();
        if (window.__rows.at(-1)?.n !== n) window.__rows.push({ n, t: Date.now() });
      }).observe(document.body, { childList: true, subtree: true });
    });
    let fetches = 0;
    const onRequest = (r) => {
      if (r.url().includes('/api/runs.get')) fetches += 1;
    };
    page.on('request', onRequest);
    try {
      const job = await api('runs.start', { ref: created.notebook.id, quick: true });
      for (;;) {
        const j = (await api('runs.jobs', {})).find((x) => x.job === job.job);
        if (j && j.state !== 'running') {
          assert.equal(j.state, 'done', `${points}-point run ended ${j.state}: ${j.error}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="points"] tbody tr').length === n, points, { timeout: LONG });
    } finally {
      page.off('request', onRequest);
    }
    const [runId] = (await api('runs.list', { ref: created.notebook.id })).map((r) => r.id);
    const stored = (await api('runs.get', { run: runId })).points.sort((a, b) => a.seq - b.seq);
    const rows = await page.evaluate(() => window.__rows);
    const lags = stored.map((p, i) => (rows.find((r) => r.n >= i + 1)?.t ?? NaN) - Date.parse(p.ended_at)).sort((a, b) => a - b);
    const at = (q) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))];
    timings[`run_${points}_points`] = { points, run_fetches: fetches, point_to_row_ms: { median: at(0.5), p90: at(0.9), max: lags.at(-1) } };
    console.log(`${points}-point run: the page fetched the run ${fetches} time(s); point stored → row shown: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${lags.at(-1)} ms`);
    // Once when the run appears (and once more if a point was stored while that fetch was in
    // flight), once when the job ends: never once per point.
    assert.ok(fetches <= 3, `${points}-point run: the page fetched the run ${fetches} times`);
    assert.ok(lags.every((l) => Number.isFinite(l)), 'every point showed as a row');
  }
  assert.deepEqual(pageErrors, []);
});
