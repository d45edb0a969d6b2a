// Test-only: an HTML report as headless Chromium leaves it once its scripts have run (plotly has
// drawn), its DOM dumped — how the CLI tests check that report.html draws offline in a real browser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

/** Renders `htmlFile` in a fresh profile under `scratchDir`, giving its scripts `budgetMs` of virtual time. */
export function renderedDom(htmlFile: string, scratchDir: string, budgetMs: number): string {
  const profile = mkdtempSync(join(scratchDir, 'chromium-'));
  const r = spawnSync(
    '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      `--virtual-time-budget=${budgetMs}`,
      '--dump-dom',
      `file://${htmlFile}`,
    ],
    { encoding: 'utf8', timeout: 6 * budgetMs, maxBuffer: 1 << 27 },
  );
  assert.equal(r.error, undefined, `chromium could not run (install the "chromium" package): ${r.error?.message}`);
  return r.stdout;
}
