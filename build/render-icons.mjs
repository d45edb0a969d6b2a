#!/usr/bin/env node
// Renders build/icon.svg into build/icons/NxN.png, the Linux icon set electron-builder takes
// from its build resources ("build/icons", file names carrying the size). The PNGs are committed,
// so packaging needs no renderer; run this after changing the SVG:  node build/render-icons.mjs
// Uses the system Chromium (Debian's chromium) through playwright-core, as the e2e suite does.
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** The sizes freedesktop icon themes use (hicolor), and 512 for software centres. */
export const ICON_SIZES = [16, 24, 32, 48, 64, 96, 128, 256, 512];

const here = dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(join(here, 'icon.svg'), 'utf8');
const out = join(here, 'icons');
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const size of ICON_SIZES) {
    await page.setViewportSize({ width: size, height: size });
    const img = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${img}" width="${size}" height="${size}" style="display:block"></body></html>`);
    await page.locator('img').evaluate((el) => el.decode());
    await page.screenshot({ path: join(out, `${size}x${size}.png`), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`build/icons/${size}x${size}.png`);
  }
} finally {
  await browser.close();
}
