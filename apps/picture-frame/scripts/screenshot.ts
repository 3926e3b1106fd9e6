/**
 * Takes the README's screenshots of the frame (desktop and phone) with Debian's chromium:
 *   node --conditions=tidings-source --import tsx apps/picture-frame/scripts/screenshot.ts [keyword]
 * writes docs/picture-frame.png and docs/picture-frame-phone.png.
 */
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startPictureFrame } from '../src/app.js';
import { silentLogger } from '../src/frame-hub.js';
import { packageRoot } from '../src/package-root.js';
import { createCatalogueProvider } from '../src/providers/catalogue.js';
import { CHROMIUM } from '../test/helpers/chromium.js';

const root = packageRoot();
const docs = join(root, '..', '..', 'docs');
const keyword = process.argv[2] ?? 'pumpkin';

const running = await startPictureFrame({
  port: 0,
  provider: createCatalogueProvider(join(root, 'catalogue')),
  log: silentLogger,
  viewersCoalesceMs: 50,
});
const browser = await chromium.launch(CHROMIUM);
try {
  const open = async (width: number, height: number, scale = 1): Promise<Page> => {
    const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: scale });
    const page = await ctx.newPage();
    await page.goto(running.url);
    await page.waitForFunction(() => document.body.dataset['connection'] === 'live');
    return page;
  };
  const desktop = await open(1280, 800);
  const phone = await open(390, 844, 2);
  await desktop.fill('#keyword-input', keyword);
  await desktop.press('#keyword-input', 'Enter');
  for (const p of [desktop, phone]) {
    await p.waitForFunction(() => document.body.dataset['picture'] !== undefined);
    await p.waitForFunction(() => document.getElementById('viewers-count')!.textContent === '2 watching');
  }
  await desktop.waitForTimeout(1500); // the crossfade
  await desktop.screenshot({ path: join(docs, 'picture-frame.png') });
  await phone.fill('#keyword-input', keyword);
  await phone.screenshot({ path: join(docs, 'picture-frame-phone.png') });
  console.log(`wrote ${join(docs, 'picture-frame.png')} and picture-frame-phone.png`);
} finally {
  await browser.close();
  await running.close();
}
