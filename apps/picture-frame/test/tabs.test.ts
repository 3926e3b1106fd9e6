import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from './helpers/chromium.js';
import { buildClient } from './helpers/client-build.js';
import { closedPort } from './helpers/fake-server.js';
import { type FrameProcess, startFrameProcess } from './helpers/frame-process.js';

const T = 60_000;
const TABS = 12;

// Twelve tabs of one browser over plain HTTP/1.1, as `npm start` serves the frame. With one
// EventSource per tab, Chromium's six connections per host were all held by streams: the
// seventh tab never loaded and no search could be sent. With @tidings/client the tabs share one.
describe('Picture Frame: twelve tabs of one browser over HTTP/1.1', { timeout: 240_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: FrameProcess;
  let dataDir: string;
  const tabs: Page[] = [];

  before(async () => {
    buildClient();
    browser = await chromium.launch(CHROMIUM);
    context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    dataDir = mkdtempSync(join(tmpdir(), 'pf-tabs-'));
    app = await startFrameProcess({ port: await closedPort(), dataDir });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('all twelve are live, and a search from the last changes every one', async () => {
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      page.on('pageerror', (err) => console.error(`tab ${i} page error:`, err.message));
      await page.goto(app.url, { timeout: T });
      tabs.push(page);
    }
    for (const [i, page] of tabs.entries()) {
      await page.waitForFunction(() => document.body.dataset['connection'] === 'live', undefined, {
        timeout: T,
      });
      assert.equal(
        await page.evaluate(() => document.getElementById('connection-text')!.textContent),
        'Live',
        `tab ${i} shows Live`,
      );
    }
    const last = tabs.at(-1)!;
    await last.fill('#keyword-input', 'balloon');
    await last.press('#keyword-input', 'Enter');
    await last.waitForFunction(
      () => /Showing “balloon” to everyone/.test(document.getElementById('message')!.textContent!),
      undefined,
      { timeout: T },
    );
    for (const [i, page] of tabs.entries()) {
      await page.waitForFunction(
        () => /^\/catalogue\/balloons-[a-z]+\.svg$/.test(document.body.dataset['picture'] ?? ''),
        undefined,
        { timeout: T },
      );
      assert.equal(
        await page.evaluate(() => document.getElementById('keyword')!.textContent),
        'balloon',
        `tab ${i} shows the new keyword`,
      );
    }
    // One stream for the whole browser: the frame counts one viewer.
    await tabs[0]!.waitForFunction(
      () => document.getElementById('viewers-count')!.textContent === '1 watching',
      undefined,
      { timeout: T },
    );
  });

  it('the tab holding the stream closes: the others stay live and get the next search', async () => {
    // The first tab opened holds the stream: it asked for the lock first.
    await tabs.shift()!.close();
    const from = tabs[3]!;
    await from.fill('#keyword-input', 'space');
    await from.press('#keyword-input', 'Enter');
    for (const [i, page] of tabs.entries()) {
      await page.waitForFunction(
        () => /^\/catalogue\/space-[a-z]+\.svg$/.test(document.body.dataset['picture'] ?? ''),
        undefined,
        { timeout: T },
      );
      assert.equal(
        await page.evaluate(() => document.body.dataset['connection']),
        'live',
        `tab ${i} is still live`,
      );
    }
  });
});
