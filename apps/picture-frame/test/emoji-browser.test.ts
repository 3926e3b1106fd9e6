import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';
import { type RunningFrame, startPictureFrame } from '../src/app.js';
import { packageRoot } from '../src/package-root.js';
import { createProvider } from '../src/providers/create-provider.js';
import { CHROMIUM } from './helpers/chromium.js';

/**
 * The emojitracker demo (src/emoji/, public/emoji/) in Chromium, against the app as `npm start`
 * runs it (in process here, so the test can stop the feeder): counts rise, a page opened later
 * converges to the server's totals, and a page asking for 5 updates per second gets no more.
 */

const T = 40_000;
const quiet = { info() {}, warn() {}, error() {} };

interface PageState {
  counts: number[];
  updates: number;
  arrivals: number[];
  detailUpdates: number;
  error: string | null;
  opens: number;
  streamErrors: number;
  phase: string;
}

const stateOf = (page: Page) =>
  page.evaluate(() => (window as unknown as { emojiState: PageState }).emojiState);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + (b ?? 0), 0);

/** Waits for a page to show the server's totals; on a timeout, says how far it got. */
async function waitTotals(name: string, page: Page, expected: number[]): Promise<void> {
  try {
    await page.waitForFunction(
      (want) =>
        JSON.stringify((window as unknown as { emojiState: PageState }).emojiState.counts) ===
        JSON.stringify(want),
      expected,
      { timeout: T },
    );
  } catch (err) {
    const st = await stateOf(page);
    const behind = st.counts.reduce((n, c, i) => n + (c === expected[i] ? 0 : 1), 0);
    const connection = await page.evaluate(() => document.body.dataset['connection']);
    throw new Error(
      `the ${name} page did not reach the server's totals within ${T} ms: ${behind} of ${expected.length} counts differ, sum ${sum(st.counts)} of ${sum(expected)}, ${st.updates} updates, connection ${connection}, error ${st.error}`,
      { cause: err },
    );
  }
}

async function open(browser: Browser, url: string): Promise<Page> {
  // A context of its own per page, as separate visitors: pages of one context share Chromium's six
  // connections per host, and each page here holds one or two streams open. (A page that stayed
  // 'connecting…' for 40 s with no open and no error was the hub's: a subscribe on a kept-alive
  // connection still finishing its previous response; packages/hub/test/kept-alive-subscribe.test.ts.)
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.error('page error:', err.message));
  page.on('requestfailed', (r) => console.error('request failed:', r.url(), r.failure()?.errorText));
  // Requests sent and not answered yet (no response head), for the message of a page not live.
  const unanswered = new Map<Request, number>();
  page.on('request', (r) => unanswered.set(r, Date.now()));
  page.on('response', (r) => unanswered.delete(r.request()));
  page.on('requestfailed', (r) => unanswered.delete(r));
  const started = Date.now();
  await page.goto(url);
  try {
    await page.waitForFunction(() => document.body.dataset['connection'] === 'live', undefined, {
      timeout: T,
      polling: 100,
    });
  } catch (err) {
    // Say what the page went through (a page that never opened, or one dropped and reopened).
    const st = await stateOf(page);
    const connection = await page.evaluate(() => document.getElementById('connection')?.textContent);
    const waiting = [...unanswered].map(([r, at]) => `${r.method()} ${r.url()} (${Date.now() - at} ms)`);
    throw new Error(
      `${url} not live ${Date.now() - started} ms after loading: shown '${connection}', phase ${st.phase}, ${st.opens} opens, ${st.streamErrors} stream errors, ${st.updates} updates, error ${st.error}; unanswered requests: ${waiting.join(', ') || 'none'}`,
      { cause: err },
    );
  }
  return page;
}

describe('emoji tracker in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser;
  let app: RunningFrame;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    app = await startPictureFrame({
      port: 0,
      provider: createProvider({ provider: 'catalogue' }, packageRoot()),
      log: quiet,
      emoji: { ratePerSecond: 2000 },
    });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('counts rise, a slow page gets at most its rate, and a late page converges to the server totals', async () => {
    const base = app.url.replace(/\/$/, '');
    const full = await open(browser, `${base}/emoji`);
    const first = sum((await stateOf(full)).counts);
    await full.waitForFunction(
      (before) => {
        const s = (window as unknown as { emojiState: PageState }).emojiState;
        return s.updates >= 10 && s.counts.reduce((a, b) => a + (b ?? 0), 0) > before;
      },
      first,
      { timeout: T },
    );
    // A cell lit up and shows its count (the grid renders on the next frame: wait for it).
    await full.waitForFunction(
      (before) =>
        [...document.querySelectorAll('.cell .n')]
          .map((n) => Number(n.textContent))
          .reduce((a, b) => a + b, 0) > before,
      first,
      { timeout: T },
    );
    const shown = await full.evaluate(() =>
      [...document.querySelectorAll('.cell .n')].map((n) => Number(n.textContent)).reduce((a, b) => a + b, 0),
    );
    assert.ok(shown > first, `the grid shows rising counts (${shown} > ${first})`);

    // Counted from the page's time origin, before it even subscribed: the hub cannot have sent
    // more than 5 per second since then (one-sided: a slow machine only makes it fewer). Events
    // arrive in bursts when the page is busy, so the span is never taken between two of them.
    const slow = await open(browser, `${base}/emoji/?rate=5`);
    await slow.waitForFunction(
      () => (window as unknown as { emojiState: PageState }).emojiState.updates >= 25,
      undefined,
      { timeout: T },
    );
    const s = await stateOf(slow);
    const spanS = s.arrivals.at(-1)! / 1000;
    assert.ok(
      s.updates <= Math.floor(spanS * 5) + 1,
      `${s.updates} updates in the page's first ${spanS.toFixed(2)} s is more than 5 per second plus one`,
    );

    // The detail view gets its emoji's updates.
    // A DOM click: Playwright's pointer click waits for a stable frame, and the grid redraws at 60 Hz.
    await full.evaluate(() => document.querySelector<HTMLButtonElement>('.cell')!.click());
    await full.waitForFunction(
      () => (window as unknown as { emojiState: PageState }).emojiState.detailUpdates > 0,
      undefined,
      { timeout: T },
    );

    // Stop the feeder: the last ticks publish the final totals, which every page must reach.
    app.emoji!.tracker.pauseFeeder();
    const late = await open(browser, `${base}/emoji`);
    const server = async () =>
      ((await (await fetch(`${base}/emoji/api/totals`)).json()) as { counts: number[] }).counts;
    // The feeder stops at once (its timer cleared in this process): the counts are final now,
    // and the roll-up's next tick publishes them. Read once, not "until they stop changing".
    const expected = await server();
    assert.deepEqual(expected, Array.from(app.emoji!.tracker.counts), 'the served totals are the tracker’s');
    assert.ok(sum(expected) > 0, 'the server counted something');
    for (const [name, page] of [
      ['full', full],
      ['slow', slow],
      ['late', late],
    ] as const) {
      await waitTotals(name, page, expected);
      assert.equal((await stateOf(page)).error, null, 'no page error');
    }
  });
});
