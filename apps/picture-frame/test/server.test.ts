import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SseReader } from '@tidings/test-support';
import { packageRoot } from '../src/package-root.js';
import type { Picture, ViewersEvent } from '../src/picture.js';
import { createCatalogueProvider } from '../src/providers/catalogue.js';
import { type ImageProvider, ProviderError } from '../src/providers/provider.js';
import { createRateLimiter } from '../src/rate-limiter.js';
import { FRAME_TOPIC, PICTURE_EVENT, VIEWERS_EVENT } from '../src/topic.js';
import { type FrameOnHub, startFrameOnHub } from './helpers/frame-on-hub.js';

const root = packageRoot();
const catalogue = createCatalogueProvider(join(root, 'catalogue'));

/** The catalogue, plus keywords that make it fail or answer URLs off its allowlist. */
const provider: ImageProvider = {
  ...catalogue,
  async search(keyword, signal) {
    if (keyword === 'explode') throw new ProviderError('catalogue', 'The catalogue is on fire');
    if (keyword === 'bug') throw new TypeError('x is undefined');
    if (keyword === 'inject') {
      return [
        { url: 'https://evil.example/x.png', title: 't', credit: 'c', license: 'l' },
        { url: 'javascript:alert(1)', title: 't', credit: 'c', license: 'l' },
        { url: '/catalogue/../../etc/passwd', title: 't', credit: 'c', license: 'l' },
      ];
    }
    if (keyword === 'slow')
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () =>
          reject(new ProviderError('catalogue', 'catalogue did not answer in time')),
        ),
      );
    return catalogue.search(keyword, signal);
  },
};

// On the real hub over loopback, as app.ts wires them: what a search broadcasts is read by a
// subscriber of the frame topic (a page), and the viewer count comes from the hub's own Active
// Subscriptions, so these tests cross the hub where the frame does.
describe('Picture Frame HTTP routes (on the real hub)', () => {
  let fx: FrameOnHub;
  let frame: FrameOnHub['frame'];
  let base: string;
  let clock = 0;

  beforeEach(async () => {
    clock = 0;
    fx = await startFrameOnHub({
      provider,
      root,
      rateLimiter: createRateLimiter({ burst: 3, perMinute: 6, now: () => clock }),
      random: () => 0,
      providerTimeoutMs: 300,
      log: { info() {}, warn() {}, error() {} },
      viewersCoalesceMs: 5,
    });
    frame = fx.frame;
    base = fx.base;
  });
  afterEach(() => fx.close());

  /** The pictures the page received, once everything published so far has arrived (a fence). */
  const broadcast = async (): Promise<Picture[]> => {
    await fx.fence();
    return fx.page.events.filter((e) => e.event === PICTURE_EVENT).map((e) => JSON.parse(e.data) as Picture);
  };

  const search = (keyword: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ keyword }),
    });

  it('200: finds a picture, publishes it on the frame topic as a `picture` event, answers it', async () => {
    const res = await search('  Pumpkin  ');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { id: string; picture: Picture };
    // What the page got: one `picture` event on the frame topic, under the id the answer names.
    const ev = await fx.page.waitForEvent((e) => e.event === PICTURE_EVENT, 'the picture event');
    assert.equal(ev.id, body.id, 'the answer names the id the hub gave the event');
    const pic = JSON.parse(ev.data) as Picture;
    assert.deepEqual(pic, body.picture, 'the page got the picture the answer names');
    assert.deepEqual(await broadcast(), [pic], 'exactly one picture was broadcast');
    assert.equal(pic.keyword, 'Pumpkin');
    assert.match(pic.url, /^\/catalogue\/pumpkin-[a-z]+\.svg$/);
    assert.equal(pic.license, 'CC0 1.0');
    assert.equal(pic.source, 'catalogue');
    assert.ok(pic.credit && pic.title, 'the picture carries a credit and a title');
    assert.deepEqual(frame.current(), pic);
  });

  it('accepts JSON bodies too', async () => {
    const res = await fetch(`${base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keyword: 'cats' }),
    });
    assert.equal(res.status, 200);
    assert.match(((await res.json()) as { picture: Picture }).picture.url, /\/catalogue\/cat-/);
  });

  it('404 no_results: a clear message with suggestions, and nothing is broadcast', async () => {
    const res = await search('zzyzx');
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const p = (await res.json()) as { code: string; detail: string };
    assert.equal(p.code, 'no_results');
    assert.match(p.detail, /No picture found for “zzyzx”\. Try pumpkin, cat/);
    assert.deepEqual(await broadcast(), [], 'nothing was broadcast');
    assert.equal(frame.current(), null);
  });

  it('502 provider_failed: the provider error is reported, nothing is broadcast', async () => {
    for (const k of ['explode', 'bug', 'slow']) {
      const res = await search(k);
      assert.equal(res.status, 502, k);
      const p = (await res.json()) as { code: string; detail: string };
      assert.equal(p.code, 'provider_failed');
      assert.match(p.detail, /keeps its current picture/);
    }
    assert.deepEqual(await broadcast(), [], 'nothing was broadcast');
  });

  it('never broadcasts an image URL off the provider allowlist', async () => {
    const res = await search('inject');
    assert.equal(res.status, 404);
    assert.deepEqual(await broadcast(), [], 'nothing was broadcast');
  });

  it('429 search_rate_limited with Retry-After, per client, and the bucket refills', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await search('sea')).status, 200);
    const res = await search('sea');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '10');
    assert.equal(((await res.json()) as { code: string }).code, 'search_rate_limited');
    assert.equal((await broadcast()).length, 3, 'only the three accepted searches were broadcast');
    clock += 10_000;
    assert.equal((await search('sea')).status, 200);
  });

  it('400 for empty, control-character and too-long terms', async () => {
    const cases: [string, string][] = [
      ['', 'invalid_keyword'],
      ['   ', 'invalid_keyword'],
      ['a\u0007b', 'invalid_keyword'],
      ['x'.repeat(65), 'keyword_too_long'],
    ];
    for (const [k, code] of cases) {
      clock += 60_000; // invalid searches count against the limit too
      const res = await search(k);
      assert.equal(res.status, 400, JSON.stringify(k));
      assert.equal(((await res.json()) as { code: string }).code, code);
    }
    clock += 60_000;
    assert.equal((await search('é'.repeat(64))).status, 404, '64 characters is fine (counted as characters)');
  });

  it('415, 413, 405 and 403 (cross-site) answers', async () => {
    const plain = await fetch(`${base}/search`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'keyword=cat',
    });
    assert.equal(plain.status, 415);
    const big = await search('cat'.repeat(1000));
    assert.equal(big.status, 413);
    const get = await fetch(`${base}/search`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const cross = await search('cat', { origin: 'https://evil.example' });
    assert.equal(cross.status, 403);
    assert.equal(((await cross.json()) as { code: string }).code, 'cross_origin');
    assert.equal((await search('cat', { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await search('cat', { origin: base })).status, 200, 'same origin is fine');
    const del = await fetch(`${base}/`, { method: 'DELETE' });
    assert.equal(del.status, 405);
  });

  it('503 publish_failed when the hub cannot store the picture; current picture unchanged', async () => {
    assert.equal((await search('sea')).status, 200);
    const before = frame.current();
    // The hub's own store goes down: its publish rejects with store_unavailable, as in an outage.
    fx.store.down();
    const res = await search('cat');
    fx.store.up();
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'publish_failed');
    assert.deepEqual(frame.current(), before);
    assert.deepEqual(await broadcast(), [before], 'only the picture before the outage was broadcast');
  });

  it('serves the page with a strict CSP and the bundled pictures; no path traversal', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.match(
      html,
      new RegExp(`<meta name="tidings-topic" content="${FRAME_TOPIC}">`),
      'page and server agree on the topic',
    );
    for (const p of ['/app.js', '/style.css', '/favicon.svg', '/catalogue/pumpkin-patch.svg']) {
      const r = await fetch(`${base}${p}`);
      assert.equal(r.status, 200, p);
      await r.arrayBuffer();
    }
    const svg = await fetch(`${base}/catalogue/pumpkin-patch.svg`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(svg.headers.get('content-security-policy') ?? '', /sandbox/);
    await svg.arrayBuffer();
    for (const p of [
      '/catalogue/..%2f..%2fpackage.json',
      '/catalogue/catalogue.json',
      '/catalogue/%2e%2e/package.json',
      '/../package.json',
      '/src/server.ts',
      '/nope',
    ]) {
      const r = await fetch(`${base}${p}`);
      assert.equal(r.status, 404, p);
      await r.arrayBuffer();
    }
    const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const etag = head.headers.get('etag')!;
    const again = await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  it('publishes a coalesced `viewers` event with the count and the current picture', async () => {
    await search('mountain');
    // Pages are subscriptions to the frame topic on the hub; the test's own page is one of them.
    const topic = `${base}/.well-known/mercure?match=${encodeURIComponent(FRAME_TOPIC)}`;
    const a = await SseReader.open(topic);
    const b = await SseReader.open(topic);
    const other = await SseReader.open(
      `${base}/.well-known/mercure?match=${encodeURIComponent('https://other.example/topic')}`,
    );
    try {
      const viewers = () =>
        fx.page.events
          .filter((e) => e.event === VIEWERS_EVENT)
          .map((e) => JSON.parse(e.data) as ViewersEvent);
      const three = await fx.page.waitForEvent(
        (e) => e.event === VIEWERS_EVENT && (JSON.parse(e.data) as ViewersEvent).viewers === 3,
        'a viewers event counting three pages',
      );
      assert.equal((JSON.parse(three.data) as ViewersEvent).current?.keyword, 'mountain');
      // A count of 2 may already have been published on the way up (pages opening more than the
      // coalescing window apart): the one that counts comes after the 3.
      const afterThree = fx.page.events.indexOf(three) + 1;
      a.close();
      await fx.page.waitForEvent(
        (e) =>
          fx.page.events.indexOf(e) >= afterThree &&
          e.event === VIEWERS_EVENT &&
          (JSON.parse(e.data) as ViewersEvent).viewers === 2,
        'a viewers event once a page left',
      );
      await fx.fence();
      assert.ok(
        viewers().every((v) => v.viewers <= 3),
        `the page on another topic is never counted: ${viewers().map((v) => v.viewers)}`,
      );
      assert.equal(viewers().at(-1)?.viewers, 2, 'the last count is the current one');
    } finally {
      for (const r of [a, b, other]) r.close();
    }
  });
});
