/**
 * Issue 16, conformance: Chromium's own `WebSocket` against the hub. The page is served by the hub
 * (its `fallback`), so the subscriber token travels as the hub's cookie, the way a browser
 * authenticates a WebSocket. Resume from earliest with the first message saying so, private
 * updates only with the cookie, live updates after history, and the close code at the token's exp.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from './support/chromium.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { nowSeconds, publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';

const TOPIC = 'https://example.com/chromium/1';
const T = 30_000;

const PAGE = `<!doctype html><meta charset="utf-8"><script>
const q = new URLSearchParams(location.search);
const ws = new WebSocket(\`ws://\${location.host}/.well-known/mercure?\${q.get('query')}\`);
window.messages = [];
window.ended = null;
ws.onmessage = (e) => window.messages.push(JSON.parse(e.data));
ws.onclose = (e) => { window.ended = { code: e.code, reason: e.reason }; };
</script>`;

interface PageWindow {
  messages: Record<string, unknown>[];
  ended: { code: number; reason: string } | null;
}

describe("Chromium's WebSocket", { timeout: 120_000 }, () => {
  let browser: Browser;
  let fx: HubFixture;
  let publisher: Record<string, string>;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    fx = await startHub({
      ...SIGNED_HUB,
      fallback: (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE),
    });
    publisher = { Authorization: `Bearer ${await publisherToken()}` };
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  async function open(query: string, cookie?: string): Promise<Page> {
    const context = await browser.newContext();
    const origin = `http://127.0.0.1:${fx.port}`;
    if (cookie !== undefined)
      await context.addCookies([{ name: 'mercureAuthorization', value: cookie, url: origin }]);
    const page = await context.newPage();
    await page.goto(`${origin}/page?query=${encodeURIComponent(query)}`);
    return page;
  }

  const messages = (page: Page, n: number) =>
    page
      .waitForFunction((n) => (globalThis as unknown as PageWindow).messages.length >= n, n, { timeout: T })
      .then(() => page.evaluate(() => (globalThis as unknown as PageWindow).messages));

  test('history then live, private only with the cookie, the resume said first', async () => {
    const open1 = (await fx.publish({ topic: TOPIC, data: 'public' }, publisher)).body;
    const secret = (await fx.publish({ topic: TOPIC, data: 'secret', private: 'on' }, publisher)).body;
    const query = `match=${encodeURIComponent(TOPIC)}&last_event_id=earliest`;
    const granted = await open(query, await subscriberToken([TOPIC]));
    const anonymous = await open(query);
    const first = [{ last_event_id: 'earliest' }, { id: open1, data: 'public' }];
    assert.deepEqual(await messages(granted, 3), [...first, { id: secret, data: 'secret' }]);
    assert.deepEqual(await messages(anonymous, 2), first);
    const live = (await fx.publish({ topic: TOPIC, data: 'live', type: 'news' }, publisher)).body;
    assert.deepEqual((await messages(granted, 4)).at(-1), { id: live, type: 'news', data: 'live' });
    assert.deepEqual(await messages(anonymous, 3), [...first, { id: live, type: 'news', data: 'live' }]);
  });

  test("the cookie token's exp closes with 4001 token_expired", async () => {
    const page = await open(
      `match=${encodeURIComponent(TOPIC)}`,
      await subscriberToken([TOPIC], { claims: { exp: nowSeconds() + 2 } }),
    );
    await page.waitForFunction(() => (globalThis as unknown as PageWindow).ended !== null, undefined, {
      timeout: T,
    });
    const closed = await page.evaluate(() => (globalThis as unknown as PageWindow).ended);
    assert.deepEqual(closed, { code: 4001, reason: 'token_expired' });
  });
});
