import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { packageRoot } from '../src/package-root.js';
import type { Picture, ViewersEvent } from '../src/picture.js';
import { createCatalogueProvider } from '../src/providers/catalogue.js';
import { type ImageProvider, ProviderError } from '../src/providers/provider.js';
import { createRateLimiter } from '../src/rate-limiter.js';
import { createPictureFrame, type PictureFrame } from '../src/server.js';
import { FRAME_TOPIC } from '../src/topic.js';
import { FakeHub } from './helpers/fake-hub.js';

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

describe('Picture Frame HTTP routes (with a fake hub)', () => {
  let hub: FakeHub;
  let frame: PictureFrame;
  let server: Server;
  let base: string;
  let clock = 0;

  beforeEach(async () => {
    if (server) await new Promise<void>((r) => server.close(() => r()));
    hub = new FakeHub();
    clock = 0;
    frame = createPictureFrame({
      provider,
      root,
      rateLimiter: createRateLimiter({ burst: 3, perMinute: 6, now: () => clock }),
      random: () => 0,
      providerTimeoutMs: 300,
      log: { info() {}, warn() {}, error() {} },
      viewersCoalesceMs: 5,
    });
    frame.attach(hub);
    server = createServer(frame.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    frame.close();
    server.close();
  });

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
    assert.equal(hub.published.length, 1);
    const ev = hub.published[0]!;
    assert.deepEqual(ev.topics, [FRAME_TOPIC]);
    assert.equal(ev.type, 'picture');
    assert.equal(body.id, ev.id);
    const pic = JSON.parse(ev.data) as Picture;
    assert.deepEqual(pic, body.picture);
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
    assert.equal(hub.published.length, 0);
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
    assert.equal(hub.published.length, 0);
  });

  it('never broadcasts an image URL off the provider allowlist', async () => {
    const res = await search('inject');
    assert.equal(res.status, 404);
    assert.equal(hub.published.length, 0);
  });

  it('429 search_rate_limited with Retry-After, per client, and the bucket refills', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await search('sea')).status, 200);
    const res = await search('sea');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '10');
    assert.equal(((await res.json()) as { code: string }).code, 'search_rate_limited');
    assert.equal(hub.published.length, 3);
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
    hub.fail = new Error('store unavailable');
    const res = await search('cat');
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'publish_failed');
    assert.deepEqual(frame.current(), before);
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
    const a = hub.subscribe(FRAME_TOPIC);
    hub.subscribe(FRAME_TOPIC);
    hub.subscribe('https://other.example/topic');
    await waitFor(() => hub.ofType('viewers').length === 1);
    const v = JSON.parse(hub.ofType('viewers')[0]!.data) as ViewersEvent;
    assert.equal(v.viewers, 2, 'two pages on the frame topic, the other topic not counted');
    assert.equal(v.current?.keyword, 'mountain');
    hub.unsubscribe(a);
    await waitFor(() => hub.ofType('viewers').length === 2);
    assert.equal((JSON.parse(hub.ofType('viewers')[1]!.data) as ViewersEvent).viewers, 1);
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
