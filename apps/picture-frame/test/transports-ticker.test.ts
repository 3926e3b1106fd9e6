import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SseReader } from '@tidings/test-support';
import { type RunningFrame, startPictureFrame } from '../src/app.js';
import { packageRoot } from '../src/package-root.js';
import { createProvider } from '../src/providers/create-provider.js';
import { Ticker } from '../src/transports-demo/ticker.js';
import { TICKER_TOPIC } from '../src/transports-demo/ticker-topic.js';

/**
 * The transports demo's ticker (src/transports-demo/): it publishes into history only while
 * someone subscribes to its topic (then stops after its idle time), at one of its bounded rates.
 */

const quiet = { info() {}, warn() {}, error() {} };
const until = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('transports demo ticker', { timeout: 60_000 }, () => {
  let app: RunningFrame;
  let base: string;

  before(async () => {
    app = await startPictureFrame({
      port: 0,
      provider: createProvider({ provider: 'catalogue' }, packageRoot()),
      log: quiet,
      emoji: false,
      transports: { rate: 5, idleMs: 300 },
    });
    base = app.url.replace(/\/$/, '');
  });
  after(() => app?.close());

  it('ticks only while its topic is watched, into history, with its publish time', async () => {
    const ticker = app.transports!.ticker;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ticker.running, false, 'nobody watches: no tick');
    assert.equal(ticker.published, 0);

    const url = `${base}/.well-known/mercure?match=${encodeURIComponent(TICKER_TOPIC)}`;
    const reader = await SseReader.open(url);
    const [event] = await reader.waitFor(1);
    const tick = JSON.parse(event!.data) as { n: number; t: number; rate: number };
    assert.equal(tick.rate, 5);
    assert.ok(Math.abs(Date.now() - tick.t) < 5000, 'the publish time is the hub’s clock');
    const history = await app.hub.engine.history.readAfter('earliest', 100);
    assert.ok(
      history.updates.some((u) => u.id === event!.id && u.topics[0] === TICKER_TOPIC),
      'the tick is in history (polls resume from it)',
    );

    // One tick in each 200 ms slot, at a random point of it: never more than one per slot.
    const from = ticker.published;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const ticks = ticker.published - from;
    const slots = (performance.now() - started) / 200;
    assert.ok(
      ticks <= slots + 2 && ticks >= slots / 2,
      `${ticks} ticks in ${slots.toFixed(1)} slots of 200 ms`,
    );

    reader.close();
    await until('the ticker to stop after its idle time', () => !ticker.running);
    const stoppedAt = ticker.published;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ticker.published, stoppedAt, 'no tick once stopped');
  });

  it('GET /transports/api/ticker names the topic and the rates; /transports goes to the page', async () => {
    const info = (await (await fetch(`${base}/transports/api/ticker`)).json()) as Record<string, unknown>;
    assert.equal(info['topic'], TICKER_TOPIC);
    assert.deepEqual(info['rates'], [0.2, 0.5, 1, 2, 5]);
    assert.equal(typeof info['now'], 'number');
    const res = await fetch(`${base}/transports?poll=2`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/transports/index.html?poll=2');
    const page = await fetch(`${base}/transports/index.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /connect-src 'self'/);
    assert.equal((await fetch(`${base}/transports/api/ticker`, { method: 'DELETE' })).status, 405);
  });

  it('never ticks faster than the largest rate, however often the rate changes', async () => {
    let ticks = 0;
    // Each tick at the very start of its slot: a new grid starting now would tick at once.
    const t = new Ticker({ publish: async () => String(++ticks), rate: 5, random: () => 0 });
    t.start();
    const started = performance.now();
    // Anyone may change the rate: flip it every 5 ms (each change starts a new grid).
    while (performance.now() - started < 2000) {
      t.setRate(t.rate === 5 ? 2 : 5);
      await new Promise((r) => setTimeout(r, 5));
    }
    t.stop();
    const most = Math.floor((performance.now() - started) / 200) + 1;
    assert.ok(ticks <= most, `${ticks} ticks in 2 s: at most ${most} at 5 a second`);
  });

  it('takes no rate outside its list', () => {
    assert.throws(() => new Ticker({ publish: async () => '', rate: 7 }), RangeError);
    const t = new Ticker({ publish: async () => '' });
    assert.throws(() => t.setRate(0), RangeError);
    assert.equal(t.rate, 1);
  });
});
