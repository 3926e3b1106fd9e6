/**
 * Issue 16 item 5: TidingsEventSource in Chromium behind an nginx that buffers the event stream
 * (`proxy_ignore_headers X-Accel-Buffering`: not even the head comes through). No byte arrives,
 * so the client switches to long polls of the same URL through the same proxy, and the page gets
 * the same events, types, ids and cursor it would have got from the stream: history first, then
 * live updates, each once, in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NginxProxy, startNginxProxy } from '@tidings/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM } from '../../../apps/picture-frame/test/helpers/chromium.js';
import { type ClientHub, startClientHub, TOPIC } from './helpers/client-hub.js';

const T = 40_000;

/** One source on `?url=`, every event logged with its type and id; fetches counted by Accept. */
const PAGE = `<!doctype html><meta charset="utf-8"><script>window.__name = (f) => f;</script><script type="module">
const accepts = [];
const original = window.fetch.bind(window);
window.fetch = (input, init) => {
  accepts.push(new Headers(init?.headers).get('accept'));
  return original(input, init);
};
const { TidingsEventSource } = await import('/client.js');
const q = new URLSearchParams(location.search);
const es = new TidingsEventSource(q.get('url'), { fallbackAfter: 1500, pollWait: 5, share: false, cursor: false, retry: 200 });
const log = [];
Object.assign(window, { es, log, accepts, gaps: 0 });
const record = (e) => log.push({ type: e.type, data: e.data, id: e.lastEventId });
es.onmessage = record;
es.addEventListener('book', record);
es.addEventListener('gap', () => window.gaps++);
window.ready = true;
</script>`;

type PageWindow = Window & {
  es: EventSource & { lastEventId: string };
  log: { type: string; data: string; id: string }[];
  accepts: (string | null)[];
  gaps: number;
};

describe('TidingsEventSource falls back to long polls behind a buffering proxy', { timeout: 120_000 }, () => {
  let browser: Browser;
  let hub: ClientHub;
  let proxy: NginxProxy;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    hub = await startClientHub({ heartbeatMs: 1000 }, { '/fallback.html': PAGE });
    proxy = await startNginxProxy(Number(new URL(hub.origin).port), { forceBuffering: true });
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await hub?.close();
  });

  it('no byte of the stream comes: the same events, ids and cursor arrive by long polls', async () => {
    const published: { type: string; data: string; id: string }[] = [];
    for (const data of ['h1', 'h2']) published.push({ type: 'message', data, id: await hub.publish(data) });
    const base = `http://127.0.0.1:${proxy.port}`;
    const url = `${base}/.well-known/mercure?match=${encodeURIComponent(TOPIC)}&lastEventID=earliest`;
    const page: Page = await (await browser.newContext()).newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(`${base}/fallback.html?url=${encodeURIComponent(url)}`);
    // The page's module script awaits the client's import before it sets `log`: until then, 0.
    const logged = (n: number) =>
      page.waitForFunction((n) => ((window as unknown as Partial<PageWindow>).log?.length ?? 0) >= n, n, {
        timeout: T,
      });
    await logged(2);
    for (const data of ['l1', 'l2', 'l3'])
      published.push({ type: 'message', data, id: await hub.publish(data) });
    const typed = await hub.hub.publish({ topics: [TOPIC], data: 'typed', type: 'book' });
    published.push({ type: 'book', data: 'typed', id: typed });
    await logged(6);
    const seen = await page.evaluate(() => {
      const w = window as unknown as PageWindow;
      return { log: w.log, accepts: w.accepts, lastEventId: w.es.lastEventId, gaps: w.gaps };
    });
    assert.deepEqual(seen.log, published, 'history then live, each once, in order, with types and ids');
    assert.equal(seen.lastEventId, typed, 'the cursor is the last id, as the stream would have left it');
    assert.equal(seen.gaps, 0);
    assert.equal(seen.accepts[0], 'text/event-stream', 'the stream was tried first');
    assert.ok(
      seen.accepts.slice(1).every((a) => a === 'application/json') && seen.accepts.length >= 3,
      `then long polls only: ${seen.accepts.join(', ')}`,
    );
  });
});
