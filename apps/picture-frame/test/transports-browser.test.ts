import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type RunningFrame, startPictureFrame } from '../src/app.js';
import { packageRoot } from '../src/package-root.js';
import { createProvider } from '../src/providers/create-provider.js';
import { TICKER_TOPIC } from '../src/transports-demo/ticker-topic.js';
import { CHROMIUM } from './helpers/chromium.js';

/**
 * The transports page (public/transports/, src/transports-demo/) in Chromium against the app as
 * `npm start` runs it (in process, so the test can read the ticker and the hub's history): the
 * four columns receive the same ids in the same order, the ones in history; the requests they
 * count are those of their transport; latencies are real numbers; the rate control works.
 */

const T = 40_000;
const UPDATES = 6;
const quiet = { info() {}, warn() {}, error() {} };

interface ColumnState {
  ids: string[];
  received: number;
  requests: number;
  emptyAnswers: number;
  bytes: number;
  latencies: number[];
  errors: number;
  lastError: string | null;
}
type Key = 'sse' | 'websocket' | 'longPoll' | 'poll';
const KEYS: readonly Key[] = ['sse', 'websocket', 'longPoll', 'poll'];
interface PageState {
  phase: string;
  error: string | null;
  cursor: string;
  rate: number;
  columns: Record<Key, ColumnState>;
  agreement?: { ok: boolean; common: number; mismatch: unknown };
}

const stateOf = (page: Page) =>
  page.evaluate(() => {
    // Plain data: the columns are class instances holding the agreement (a cycle).
    const s = (window as unknown as { transportsState: PageState }).transportsState;
    const columns = Object.fromEntries(
      Object.entries(s.columns).map(([k, c]) => [
        k,
        {
          ids: [...c.ids],
          received: c.received,
          requests: c.requests,
          emptyAnswers: c.emptyAnswers,
          bytes: c.bytes,
          latencies: [...c.latencies],
          errors: c.errors,
          lastError: c.lastError,
        },
      ]),
    );
    return { ...s, columns } as PageState;
  });

describe('transports page in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningFrame;
  let base: string;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    app = await startPictureFrame({
      port: 0,
      provider: createProvider({ provider: 'catalogue' }, packageRoot()),
      log: quiet,
      emoji: false,
    });
    base = app.url.replace(/\/$/, '');
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('the four transports get the same ids in order, each with its own requests, bytes and latency', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // From the frame's page, by its link.
    await page.goto(base);
    await page.click('a[href="/transports"]');
    await page.waitForURL(/\/transports\/index\.html$/, { timeout: T });
    // Polls every 0.5 s against one tick a second: more polls than ticks, so more poll requests
    // than long-poll requests (about one per tick).
    await page.goto(`${base}/transports?poll=0.5`);
    await page.waitForFunction(() => document.body.dataset['phase'] === 'live', undefined, { timeout: T });
    await page.waitForFunction(
      (n) => {
        const s = (window as unknown as { transportsState: PageState }).transportsState;
        return Object.values(s.columns).every((c) => c.received >= n);
      },
      UPDATES,
      { timeout: T },
    );
    const s = await stateOf(page);
    assert.equal(s.error, null);
    assert.deepEqual(errors, [], 'no page error');
    for (const k of KEYS) assert.equal(s.columns[k].errors, 0, `${k}: ${s.columns[k].lastError}`);

    // The same ids in the same order on all four, and they are the ticks in the hub's history
    // after the cursor every column started from.
    const n = Math.min(...KEYS.map((k) => s.columns[k].received));
    const sse = s.columns.sse.ids.slice(0, n);
    for (const k of KEYS)
      assert.deepEqual(s.columns[k].ids.slice(0, n), sse, `${k} got the ids SSE got, in order`);
    const history = await app.hub.engine.history.readAfter(s.cursor, 10_000);
    const ticks = history.updates.filter((u) => u.topics[0] === TICKER_TOPIC).map((u) => u.id);
    assert.deepEqual(sse, ticks.slice(0, n), 'the ids are the ticks in history, none skipped');
    assert.equal(new Set(sse).size, n, 'no id twice');
    const shown = await page.evaluate(() => {
      const s = (window as unknown as { transportsState: PageState }).transportsState;
      return { ok: s.agreement?.ok, text: document.getElementById('agreement')!.textContent };
    });
    assert.equal(shown.ok, true, shown.text ?? '');
    assert.match(shown.text ?? '', /^✓ The four agree/);

    // Requests: one connection each for the streams; a request per answer for the others.
    assert.equal(s.columns.sse.requests, 1, 'SSE: one request');
    assert.equal(s.columns.websocket.requests, 1, 'WebSocket: one upgrade');
    const lp = s.columns.longPoll;
    const poll = s.columns.poll;
    assert.ok(lp.requests >= 2 && lp.requests <= lp.received + 2, `long-poll: ${lp.requests} requests`);
    assert.ok(poll.requests > lp.requests, `poll ${poll.requests} requests > long-poll ${lp.requests}`);
    assert.ok(poll.emptyAnswers > 0, 'some polls found nothing new (304)');

    // Bytes: every column read some; an answer with its head costs more than a streamed event.
    for (const k of KEYS) assert.ok(s.columns[k].bytes > 0, `${k} counted bytes`);
    const per = (k: Key) => s.columns[k].bytes / s.columns[k].received;
    assert.ok(per('longPoll') > 2 * per('sse'), `long-poll ${per('longPoll')} B/update vs SSE ${per('sse')}`);

    // Latency: receive time minus publish time, on this machine's one clock.
    for (const k of KEYS) {
      const l = s.columns[k].latencies;
      assert.ok(l.length >= UPDATES, `${k}: a latency per update`);
      for (const v of l)
        assert.ok(Number.isFinite(v) && v >= 0, `${k}: latency ${v} is finite and nonnegative`);
      // A poll's update waits at most its interval (0.5 s) plus the time to answer.
      assert.ok(Math.max(...l) < 10_000, `${k}: latencies ${l.join(', ')} under 10 s`);
    }
    await page.close();
  });

  it('the rate control changes the shared ticker, within its bounds', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/transports`);
    await page.waitForFunction(() => document.body.dataset['phase'] === 'live', undefined, { timeout: T });
    await page.selectOption('#rate', '2');
    // The server's ticker, and the ticks the page then receives, carry the new rate.
    await page.waitForFunction(
      () => (window as unknown as { transportsState: PageState }).transportsState.rate === 2,
      undefined,
      { timeout: T },
    );
    assert.equal(app.transports!.ticker.rate, 2);

    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/transports/api/rate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });
    for (const bad of ['{"rate":1000}', '{"rate":"fast"}', '{"rate":-1}', '{}']) {
      const res = await post(bad);
      assert.equal(res.status, 400, bad);
      const problem = (await res.json()) as { code: string; detail: string };
      assert.equal(problem.code, 'invalid_rate', bad);
      assert.match(problem.detail, /one of 0\.2, 0\.5, 1, 2, 5 updates per second/);
    }
    const cross = await post('{"rate":5}', { Origin: 'https://elsewhere.example' });
    assert.equal(cross.status, 403);
    assert.equal(((await cross.json()) as { code: string }).code, 'cross_origin');
    assert.equal((await post('x'.repeat(300))).status, 413);
    const notJson = await post('{"rate":');
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as { code: string }).code, 'invalid_body');
    assert.equal(app.transports!.ticker.rate, 2, 'no refused request changed the rate');
    const form = await post('rate=0.5', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 200);
    assert.equal(app.transports!.ticker.rate, 0.5);
    await page.close();
  });
});
