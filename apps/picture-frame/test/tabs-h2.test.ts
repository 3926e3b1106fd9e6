import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

// Twelve tabs of one browser, each with a stream of its own (tab sharing turned off below), as
// `npm start -- --tls-self-signed` serves the frame: over HTTP/2 each stream is one stream of
// the browser's one connection, so nothing waits for one of six connections (issue 14 "Why").
describe('Picture Frame: twelve tabs, twelve streams, over HTTP/2', { timeout: 240_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: FrameProcess;
  let dataDir: string;
  const tabs: Page[] = [];

  before(async () => {
    buildClient();
    // The development certificate is not trusted by this browser: the flag the issue names.
    browser = await chromium.launch({ ...CHROMIUM, args: [...CHROMIUM.args, '--ignore-certificate-errors'] });
    context = await browser.newContext({ viewport: { width: 800, height: 600 } });
    // Each tab opens its own stream: without Web Locks, @tidings/client does not share one.
    await context.addInitScript(() => {
      Object.defineProperty(navigator, 'locks', { value: undefined });
    });
    dataDir = mkdtempSync(join(tmpdir(), 'pf-h2-'));
    app = await startFrameProcess({ port: await closedPort(), dataDir, args: ['--tls-self-signed'] });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('npm start -- --tls-self-signed: https, the certificate kept in the data folder, trust advice', () => {
    assert.match(app.url, /^https:\/\/localhost:\d+\/$/, app.url);
    assert.ok(
      existsSync(join(dataDir, 'tls', 'localhost-cert.pem')),
      'the certificate is in the data folder',
    );
    assert.match(app.output(), /self-signed certificate for localhost/, 'the output says how to trust it');
  });

  it('all twelve load over h2 and are live, and a search from the last changes every one', async () => {
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
        await page.evaluate(
          () =>
            (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
        ),
        'h2',
        `tab ${i} was loaded over HTTP/2`,
      );
    }
    // Twelve streams, one per tab: the frame counts twelve viewers.
    await tabs[0]!.waitForFunction(
      () => document.getElementById('viewers-count')!.textContent === '12 watching',
      undefined,
      { timeout: T },
    );
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
  });
});
