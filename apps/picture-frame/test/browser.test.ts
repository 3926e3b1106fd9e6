import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from './helpers/chromium.js';
import { buildClient } from './helpers/client-build.js';
import { closedPort, type FakeServer, json, startFakeServer } from './helpers/fake-server.js';
import { type FrameProcess, startFrameProcess } from './helpers/frame-process.js';

// Generous: the suite runs two files at once on two cores, and Chromium is the heaviest of them.
const T = 40_000;

async function openFrame(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  page.on('requestfailed', (r) => console.error('request failed:', r.url(), r.failure()?.errorText));
  await page.goto(url);
  await waitLive(page);
  return page;
}

const waitLive = (page: Page) =>
  page.waitForFunction(() => document.body.dataset['connection'] === 'live', undefined, { timeout: T });

/** Waits for a picture; on a timeout, says what the page showed instead (a flake must be readable). */
async function waitPicture(page: Page, pattern: RegExp): Promise<void> {
  try {
    await page.waitForFunction(
      (src) => new RegExp(src).test(document.body.dataset['picture'] ?? ''),
      pattern.source,
      { timeout: T },
    );
  } catch (err) {
    const state = await page
      .evaluate(() => ({
        picture: document.body.dataset['picture'],
        connection: document.body.dataset['connection'],
        message: document.getElementById('message')?.textContent,
        layers: [...document.querySelectorAll<HTMLImageElement>('.layer')].map((l) => ({
          src: l.src,
          complete: l.complete,
          shown: l.classList.contains('shown'),
        })),
      }))
      .catch((e: Error) => `unreadable: ${e.message}`);
    throw new Error(`no picture matching ${pattern} within ${T} ms; the page: ${JSON.stringify(state)}`, {
      cause: err,
    });
  }
}

/** What a person sees: the picture on the visible layer, and the caption. */
async function seen(page: Page) {
  return page.evaluate(() => {
    const shown = document.querySelector<HTMLImageElement>('.layer.shown');
    return {
      src: shown ? new URL(shown.src).pathname : undefined,
      loaded: shown ? shown.complete && shown.naturalWidth > 0 : false,
      keyword: document.getElementById('keyword')!.textContent,
      credit: document.getElementById('credit')!.textContent,
      viewers: document.getElementById('viewers-count')!.textContent,
      connection: document.getElementById('connection-text')!.textContent,
      message: document.getElementById('message')!.textContent,
    };
  });
}

async function searchFrom(page: Page, keyword: string): Promise<void> {
  await page.fill('#keyword-input', keyword);
  await page.press('#keyword-input', 'Enter');
}

/**
 * Searches and returns the picture the server chose and broadcast (the /search answer). A second
 * search for the same word may pick another picture: waiting for "any pumpkin" would pass on the
 * first search's picture while the second is still on its way.
 */
async function searchPicture(page: Page, keyword: string): Promise<RegExp> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/search', { timeout: T });
  await searchFrom(page, keyword);
  const res = await answered;
  assert.equal(res.status(), 200, `the search for ${keyword} succeeded`);
  const { picture } = (await res.json()) as { picture: { url: string } };
  return new RegExp(`^${picture.url.replace(/[.]/g, '\\.')}$`);
}

describe('Shared Picture Frame in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser;
  let context: BrowserContext;
  let app: FrameProcess;
  let port: number;
  let dataDir: string;
  let a: Page;
  let b: Page;

  before(async () => {
    buildClient();
    browser = await chromium.launch(CHROMIUM);
    context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
    port = await closedPort();
    dataDir = mkdtempSync(join(tmpdir(), 'pf-browser-'));
    app = await startFrameProcess({ port, dataDir });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Tabs of one browser share one stream (@tidings/client): "watching" counts browsers, so each
  // page here is another browser (context), as two people would be.
  it('the first minute: a welcome picture, a panel of fixed width, a failed search forgotten when the picture changes', async () => {
    // Empty history: the first view is the welcome picture, not an empty gradient.
    a = await openFrame(context, app.url);
    await a.waitForFunction(
      () => {
        const img = document.querySelector<HTMLImageElement>('.layer.shown');
        return img?.complete === true && img.naturalWidth > 0;
      },
      undefined,
      { timeout: T },
    );
    const first = await seen(a);
    assert.equal(first.src, '/welcome.svg', 'the welcome picture is on show');
    assert.ok(first.loaded, 'the welcome picture really loaded');
    assert.equal(first.keyword, 'Shared Picture Frame', 'the welcome caption');
    const width = () => a.evaluate(() => document.getElementById('search')!.getBoundingClientRect().width);
    const before = await width();
    await searchFrom(a, 'zzyzx');
    await a.waitForFunction(() => document.body.dataset['lastError'] === 'no_results', undefined, {
      timeout: T,
    });
    assert.match((await seen(a)).message, /No picture found/, 'the failure is shown');
    assert.equal(await width(), before, 'the search panel keeps its width with a long message');
    // Problem bodies of the demo use the hub's type scheme.
    const types = await a.evaluate(async () => {
      const search = await fetch('/search', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'keyword=zzyzx',
      });
      const hub = await fetch('/.well-known/mercure', { method: 'PUT' });
      return [(await search.json()).type, (await hub.json()).type];
    });
    assert.deepEqual(
      types,
      ['urn:tidings:error:no_results', 'urn:tidings:error:method_not_allowed'],
      'one type scheme for the demo and the hub',
    );
    // Someone else changes the picture: the old failure goes away.
    b = await openFrame(await browser.newContext({ viewport: { width: 1024, height: 700 } }), app.url);
    const pumpkin = await searchPicture(b, 'pumpkin');
    assert.match(pumpkin.source, /pumpkin-[a-z]+/);
    await waitPicture(a, pumpkin);
    await a.waitForFunction(() => document.getElementById('message')!.textContent === '', undefined, {
      timeout: T,
    });
  });

  it('two pages: a search in one changes the background of both', async () => {
    const chosen = await searchPicture(a, 'pumpkin');
    for (const p of [a, b]) {
      await waitPicture(p, chosen);
      const s = await seen(p);
      assert.match(s.src ?? '', /^\/catalogue\/pumpkin-/);
      assert.ok(s.loaded, 'the image really loaded');
      assert.equal(s.keyword, 'pumpkin');
      assert.match(s.credit, /by Tidings contributors · CC0 1\.0/);
      assert.equal(s.connection, 'Live');
    }
    await a.waitForFunction(() =>
      /Showing “pumpkin” to everyone/.test(document.getElementById('message')!.textContent!),
    );
    await b.waitForFunction(
      () => document.getElementById('viewers-count')!.textContent === '2 watching',
      undefined,
      {
        timeout: T,
      },
    );
  });

  it('a page opened later shows the current picture at once', async () => {
    const current = await a.evaluate(() => document.body.dataset['picture']);
    const c = await openFrame(await browser.newContext(), app.url);
    await waitPicture(c, new RegExp(`^${current!.replace(/[.]/g, '\\.')}$`));
    assert.equal((await seen(c)).keyword, 'pumpkin');
    await a.waitForFunction(
      () => document.getElementById('viewers-count')!.textContent === '3 watching',
      undefined,
      {
        timeout: T,
      },
    );
    await c.close();
    await a.waitForFunction(
      () => document.getElementById('viewers-count')!.textContent === '2 watching',
      undefined,
      {
        timeout: T,
      },
    );
  });

  it('no results: a clear message for the searcher, nothing changes anywhere', async () => {
    const before = await seen(b);
    await searchFrom(a, 'zzyzx');
    // The error flag and the message are two writes: wait for both (the flag may be left from before).
    await a.waitForFunction(
      () =>
        document.body.dataset['lastError'] === 'no_results' &&
        /No picture found/.test(document.getElementById('message')!.textContent ?? ''),
      undefined,
      { timeout: T },
    );
    const s = await seen(a);
    assert.match(s.message, /No picture found for “zzyzx”\. Try pumpkin/);
    await b.waitForTimeout(300);
    assert.deepEqual(await seen(b), before);
  });

  it('keyword and credit are shown as text: an XSS attempt is rendered, not run', async () => {
    const attack = '<img src=x onerror="window.pwned=1">pumpkin';
    await searchFrom(a, attack);
    for (const p of [a, b]) {
      await p.waitForFunction((k) => document.getElementById('keyword')!.textContent === k, attack, {
        timeout: T,
      });
      const r = await p.evaluate(() => ({
        pwned: (window as unknown as { pwned?: number }).pwned,
        imgsInCaption: document.querySelectorAll('header img').length,
        title: document.title,
      }));
      assert.equal(r.pwned, undefined);
      assert.equal(r.imgsInCaption, 0);
    }
    // The no-results message quotes the term as text too.
    await searchFrom(a, '<b id="bold">zzyzx</b>');
    await a.waitForFunction(() =>
      /No picture found for “<b id="bold">zzyzx<\/b>”/.test(document.getElementById('message')!.textContent!),
    );
    assert.equal(await a.evaluate(() => document.getElementById('bold')), null);
  });

  it('kill and restart the hub: both pages reconnect by themselves and receive the next picture', async () => {
    const beforeKill = await a.evaluate(() => document.body.dataset['picture']);
    await app.kill();
    for (const p of [a, b]) {
      await p.waitForFunction(() => document.body.dataset['connection'] !== 'live', undefined, {
        timeout: T,
      });
      assert.match((await seen(p)).connection, /Reconnecting|Offline/);
    }
    app = await startFrameProcess({ port, dataDir });
    await Promise.all([waitLive(a), waitLive(b)]);
    // Durable history: a page opened after the restart still gets the picture of before.
    const late = await openFrame(context, app.url);
    await waitPicture(late, new RegExp(`^${beforeKill!.replace(/[.]/g, '\\.')}$`));
    await late.close();
    await searchFrom(b, 'sea');
    for (const p of [a, b]) {
      await waitPicture(p, /^\/catalogue\/sea-[a-z]+\.svg$/);
      assert.equal((await seen(p)).keyword, 'sea');
      assert.equal((await seen(p)).connection, 'Live');
    }
  });
});

describe('Shared Picture Frame with a failing provider', { timeout: 120_000 }, () => {
  let browser: Browser;
  let app: FrameProcess;
  let fake: FakeServer;
  let dataDir: string;

  before(async () => {
    buildClient();
    browser = await chromium.launch(CHROMIUM);
    // A local Openverse that fails the way the real one does when it is down.
    fake = await startFakeServer((_req, res) =>
      json(res, 503, { detail: 'Service temporarily unavailable' }),
    );
    dataDir = mkdtempSync(join(tmpdir(), 'pf-fail-'));
    app = await startFrameProcess({
      port: await closedPort(),
      dataDir,
      env: { PICTURE_PROVIDER: 'openverse', OPENVERSE_API_URL: fake.url },
    });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the provider error; the frame stays live and keeps working', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await openFrame(context, app.url);
    await searchFrom(page, 'cat');
    await page.waitForFunction(() => document.body.dataset['lastError'] === 'provider_failed', undefined, {
      timeout: T,
    });
    const s = await seen(page);
    assert.match(
      s.message,
      /Openverse answered HTTP 503: Service temporarily unavailable\. The frame keeps its current picture/,
    );
    assert.equal(s.connection, 'Live');
    assert.equal(fake.requests.at(-1)?.url.searchParams.get('q'), 'cat');
    // Still usable: the button is enabled again and another search goes out.
    assert.equal(await page.isEnabled('#search-button'), true);
    await searchFrom(page, 'dog');
    await page.waitForFunction(() => /HTTP 503/.test(document.getElementById('message')!.textContent!));
    assert.equal(fake.requests.at(-1)?.url.searchParams.get('q'), 'dog');
  });
});
