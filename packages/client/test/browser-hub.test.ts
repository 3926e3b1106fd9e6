import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../../../apps/picture-frame/test/helpers/chromium.js';
import { APP_PAGE } from './helpers/app-page.js';
import { type ClientHub, SECRET, startClientHub, TOPIC, token } from './helpers/client-hub.js';

// TidingsEventSource in Chromium against the real hub over HTTP/1.1: tabs sharing one stream,
// leader tabs closed and crashed, a reload, short-lived tokens, a 401, history wiped.

const T = 40_000;
/** The app page, and `/token?ttl=` minting a subscriber token living `ttl` seconds. */
const PAGES = {
  '/app.html': APP_PAGE,
  '/token': (_req: unknown, res: import('node:http').ServerResponse, url: URL) => {
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(token({ subscribe: ['*'] }, Number(url.searchParams.get('ttl'))));
  },
};

type AppWindow = Window & {
  es: EventSource;
  ready?: boolean;
  log: string[];
  gaps: number;
  opens: number;
  tokenCalls(): number;
};

async function openApp(context: BrowserContext, hub: ClientHub, url: string, more = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  await page.goto(`${hub.origin}/app.html?url=${encodeURIComponent(url)}&${more}`);
  await page.waitForFunction(() => (window as unknown as AppWindow).opens > 0, undefined, { timeout: T });
  return page;
}

const logOf = (page: Page) => page.evaluate(() => (window as unknown as AppWindow).log);

/** Waits until the page's log has `n` entries (or the deadline), then returns it. */
async function waitLog(page: Page, n: number): Promise<string[]> {
  await page
    .waitForFunction((n) => ((window as unknown as Partial<AppWindow>).log?.length ?? 0) >= n, n, {
      timeout: T,
    })
    .catch(() => {});
  return logOf(page);
}

const numbers = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/** Publishes 1, 2, 3... every `everyMs` until stopped; resolves with the last number published. */
function publishing(hub: ClientHub, everyMs: number, topic = TOPIC) {
  let n = 0;
  let stopped = false;
  let failed: unknown;
  const sentAt: number[] = [];
  const done = (async () => {
    while (!stopped) {
      sentAt[n + 1] = Date.now();
      await hub.publish(String(++n), topic);
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return n;
  })().catch((err: unknown) => {
    failed = err;
    throw err;
  });
  return {
    sentAt,
    count: () => n,
    /** Waits until at least `k` more updates went out. */
    async more(k: number) {
      const target = n + k;
      while (n < target) {
        if (failed !== undefined) throw failed;
        await new Promise((r) => setTimeout(r, everyMs));
      }
    },
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

describe('TidingsEventSource in Chromium against the real hub', { timeout: 300_000 }, () => {
  let browser: Browser;
  let hub: ClientHub;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    hub = await startClientHub({}, PAGES);
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('tabs share one stream; the leader closed, then crashed, a follower reloaded: nothing lost or repeated', async (t) => {
    const context = await browser.newContext();
    const url = `${hub.topicUrl}&case=takeover`;
    const tabs: Page[] = [];
    for (let i = 0; i < 4; i++) tabs.push(await openApp(context, hub, url));
    assert.equal(hub.hub.subscriberCount, 1, 'four tabs, one stream at the hub');
    const pub = publishing(hub, 15);
    await pub.more(20);
    // The first tab asked for the lock first: it holds the stream. It closes.
    await tabs.shift()!.close();
    await pub.more(20);
    // The next one crashes (its renderer dies: no unload, no goodbye).
    const crashed = tabs.shift()!;
    const gone = new Promise((resolve) => crashed.once('crash', resolve));
    // The CDP call itself never answers: its page is gone. The page's crash event says it happened.
    void (await context.newCDPSession(crashed)).send('Page.crash').catch(() => {});
    await gone;
    await pub.more(20);
    // A follower reloads: it comes back from its cursor, the leader hands it what it missed.
    await tabs[1]!.reload();
    await pub.more(20);
    const last = await pub.stop();
    for (const [i, tab] of tabs.entries()) {
      assert.deepEqual(await waitLog(tab, last), numbers(1, last), `tab ${i}: every update once, in order`);
    }
    assert.equal(hub.hub.subscriberCount, 1, 'still one stream');
    // A figure, not a verdict: the longest an update took to reach a tab that stayed, takeovers included.
    const arrivals = await tabs[0]!.evaluate(
      () => (window as unknown as { arrivals: Record<string, number> }).arrivals,
    );
    const worst = Math.max(...numbers(1, last).map((k) => arrivals[k]! - pub.sentAt[Number(k)]!));
    t.diagnostic(`longest publish-to-tab delay over two takeovers: ${worst} ms`);
    await context.close();
  });

  it('a reload resumes from the cursor kept in sessionStorage', async () => {
    const context = await browser.newContext();
    const url = `${hub.topicUrl}&case=reload`;
    const page = await openApp(context, hub, url);
    const pub = publishing(hub, 15);
    await pub.more(10);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as AppWindow).opens > 0, undefined, { timeout: T });
    await pub.more(10);
    const last = await pub.stop();
    assert.deepEqual(await waitLog(page, last), numbers(1, last), 'every update once across the reload');
    await context.close();
  });

  it('the hub’s history is wiped: a gap event, and the stream goes on', async () => {
    const context = await browser.newContext();
    const page = await openApp(context, hub, `${hub.topicUrl}&case=gap`);
    await hub.publish('before');
    assert.deepEqual(await waitLog(page, 1), ['before'], 'the update before');
    await hub.restart();
    await page.waitForFunction(() => (window as unknown as AppWindow).gaps > 0, undefined, { timeout: T });
    await page.waitForFunction(() => (window as unknown as AppWindow).es.readyState === 1, undefined, {
      timeout: T,
    });
    await hub.publish('after');
    assert.deepEqual(await waitLog(page, 2), ['before', 'after'], 'live again after the gap');
    assert.equal(await page.evaluate(() => (window as unknown as AppWindow).gaps), 1, 'one gap');
    await context.close();
  });

  it('offline: no attempt until the browser is online again, then at once (not after the 60 s retry)', async () => {
    const slow = await startClientHub({ retryMs: 60_000 }, PAGES);
    const context = await browser.newContext();
    try {
      const page = await openApp(context, slow, slow.topicUrl);
      await context.setOffline(true);
      await slow.restart();
      await page.waitForFunction(() => (window as unknown as AppWindow).es.readyState === 0, undefined, {
        timeout: T,
      });
      await context.setOffline(false);
      // The deadline is shorter than the reconnection time the hub asked for: only the online
      // event can have reconnected.
      await page.waitForFunction(() => (window as unknown as AppWindow).opens === 2, undefined, {
        timeout: T,
      });
      await slow.publish('back');
      assert.deepEqual(await waitLog(page, 1), ['back'], 'live again');
    } finally {
      await context.close();
      await slow.close();
    }
  });

  it('pauseWhenHidden: a hidden page gives its stream back and resumes from its cursor when shown', async () => {
    const context = await browser.newContext();
    const url = `${hub.topicUrl}&case=hidden`;
    const page = await openApp(context, hub, url, 'pause');
    const streams = hub.hub.subscriberCount;
    await hub.publish('1');
    assert.deepEqual(await waitLog(page, 1), ['1'], 'live while visible');
    // Headless Chromium shows every page: the page is told it is hidden as a browser would.
    const visibility = (hidden: boolean) =>
      page.evaluate((hidden) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await visibility(true);
    const deadline = Date.now() + T;
    while (hub.hub.subscriberCount >= streams && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(hub.hub.subscriberCount, streams - 1, 'the stream was closed while hidden');
    await hub.publish('2');
    await hub.publish('3');
    await visibility(false);
    assert.deepEqual(await waitLog(page, 3), ['1', '2', '3'], 'what was published while hidden, once');
    await context.close();
  });
});

describe('TidingsEventSource with short-lived tokens', { timeout: 120_000 }, () => {
  let browser: Browser;
  let hub: ClientHub;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    hub = await startClientHub({ anonymous: false, subscriberKeys: [SECRET] }, PAGES);
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('3-second tokens from a headers function: several expiries, no gap, nothing repeated', async () => {
    const page = await openApp(await browser.newContext(), hub, hub.topicUrl, 'ttls=3');
    const pub = publishing(hub, 50);
    // Past three expiries: the hub ends a stream at its token's exp, the client renews before.
    await page.waitForFunction(() => (window as unknown as AppWindow).tokenCalls() >= 4, undefined, {
      timeout: T,
    });
    const last = await pub.stop();
    assert.deepEqual(await waitLog(page, last), numbers(1, last), 'every update once');
    assert.equal(
      await page.evaluate(() => (window as unknown as AppWindow).opens),
      1,
      'opened once: renewals are invisible',
    );
  });

  it('a 401 with a stale token: the headers function is called again and the stream opens', async () => {
    const page = await openApp(
      await browser.newContext(),
      hub,
      `${hub.topicUrl}&case=stale`,
      'ttls=-60,3600',
    );
    assert.equal(
      await page.evaluate(() => (window as unknown as AppWindow).tokenCalls()),
      2,
      'stale, then fresh',
    );
    await hub.publish('x');
    assert.deepEqual(await waitLog(page, 1), ['x'], 'the update arrives');
  });
});
