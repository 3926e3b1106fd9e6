import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameError } from '../src/errors.js';
import { cspImageSources, hostAllowed, isAllowedImageUrl, safeLink } from '../src/image-url.js';
import { parseKeyword } from '../src/keyword.js';
import { cleanText } from '../src/picture.js';
import { createRateLimiter } from '../src/rate-limiter.js';
import { pageCsp } from '../src/security-headers.js';

describe('keyword limits', () => {
  it('normalises and bounds search terms', () => {
    assert.equal(parseKeyword('  big   orange\tpumpkin '), 'big orange pumpkin');
    assert.equal(parseKeyword('x'.repeat(64)), 'x'.repeat(64));
    assert.equal(parseKeyword('🎃'.repeat(64)), '🎃'.repeat(64), 'characters, not UTF-16 units');
    const code = (v: unknown, max?: number) => {
      try {
        parseKeyword(v, max);
        return 'ok';
      } catch (e) {
        return (e as FrameError).code;
      }
    };
    assert.equal(code('x'.repeat(65)), 'keyword_too_long');
    assert.equal(code('abcd', 3), 'keyword_too_long');
    assert.equal(code(''), 'invalid_keyword');
    assert.equal(code(undefined), 'invalid_keyword');
    assert.equal(code(['cat']), 'invalid_keyword');
    assert.equal(code('cat\u0000'), 'invalid_keyword');
    assert.equal(code('<script>alert(1)</script>'), 'ok', 'markup is just text: rendered with textContent');
  });
});

describe('image URL allowlist', () => {
  const flickr = { hosts: ['live.staticflickr.com'] };
  const ov = { hosts: ['*.staticflickr.com', 'api.openverse.org'] };
  const local = { hosts: [], pathPrefix: '/catalogue/' };

  it('accepts https on allowed hosts only', () => {
    assert.ok(
      isAllowedImageUrl('https://live.staticflickr.com/1/2_3_b.jpg', flickr),
      'https on the allowed host is accepted',
    );
    assert.ok(
      !isAllowedImageUrl('http://live.staticflickr.com/1/2_3_b.jpg', flickr),
      'plain http is refused',
    );
    assert.ok(
      !isAllowedImageUrl('https://live.staticflickr.com.evil.example/x.jpg', flickr),
      'a host that only starts with the allowed one is refused',
    );
    assert.ok(
      !isAllowedImageUrl('https://user@live.staticflickr.com/x.jpg', flickr),
      'userinfo before the host is refused',
    );
    assert.ok(
      !isAllowedImageUrl('https://live.staticflickr.com:8443/x.jpg', flickr),
      'a non-default port is refused',
    );
    assert.ok(!isAllowedImageUrl('javascript:alert(1)', flickr), 'javascript: is refused');
    assert.ok(!isAllowedImageUrl('data:image/svg+xml,<svg onload=alert(1)>', flickr), 'data: is refused');
    assert.ok(
      !isAllowedImageUrl('//live.staticflickr.com/x.jpg', flickr),
      'a scheme-relative URL is refused',
    );
    assert.ok(isAllowedImageUrl('https://farm4.staticflickr.com/x.jpg', ov), '*. accepts a subdomain');
    assert.ok(!isAllowedImageUrl('https://staticflickr.com/x.jpg', ov), '*. needs a subdomain');
    assert.ok(!isAllowedImageUrl('https://evilstaticflickr.com/x.jpg', ov), '*. matches whole labels only');
    assert.ok(hostAllowed('API.openverse.org', ov.hosts), 'hosts compare case-insensitively');
  });

  it('accepts same-origin paths under the provider prefix, without escapes', () => {
    assert.ok(
      isAllowedImageUrl('/catalogue/pumpkin-patch.svg', local),
      'a path under the prefix is accepted',
    );
    assert.ok(
      isAllowedImageUrl('/catalogue/Red%20Pumpkin.jpg', local),
      'a percent-encoded path under the prefix is accepted',
    );
    for (const bad of [
      '/catalogue/',
      '/catalogue/../package.json',
      '/catalogue/%2e%2e',
      '/catalogue/a%2fb.svg',
      '/catalogue/a%5cb.svg',
      '/catalogue/x.svg?y',
      '/catalogue/x.svg#y',
      "/catalogue/x'.svg",
      '/catalogue/x).svg',
      '/catalogue/x%zz.svg',
      '/other/x.svg',
      'https://evil.example/catalogue/x.svg',
    ]) {
      assert.ok(!isAllowedImageUrl(bad, local), bad);
    }
  });

  it('links are http(s) only; captions are plain bounded text', () => {
    assert.equal(safeLink('https://www.flickr.com/photos/x/1'), 'https://www.flickr.com/photos/x/1');
    assert.equal(safeLink('javascript:alert(1)'), undefined);
    assert.equal(safeLink('data:text/html,hi'), undefined);
    assert.equal(safeLink(42), undefined);
    assert.equal(cleanText('a\nb\u0000c   d'), 'a b c d');
    assert.equal(cleanText('x'.repeat(500)).length, 200);
  });

  it('the page CSP names exactly the provider image hosts', () => {
    const csp = pageCsp(cspImageSources(ov));
    assert.match(csp, /img-src 'self' https:\/\/\*\.staticflickr\.com https:\/\/api\.openverse\.org;/);
    assert.match(csp, /frame-ancestors 'none'/);
  });
});

describe('per-client rate limit', () => {
  it('allows a burst, then one search per interval, per client', () => {
    let t = 0;
    const rl = createRateLimiter({ burst: 2, perMinute: 6, now: () => t });
    assert.deepEqual(rl.take('a'), { ok: true });
    assert.deepEqual(rl.take('a'), { ok: true });
    assert.deepEqual(rl.take('a'), { ok: false, retryAfterSeconds: 10 });
    assert.deepEqual(rl.take('b'), { ok: true }, 'another client has its own bucket');
    t = 4_000;
    assert.deepEqual(rl.take('a'), { ok: false, retryAfterSeconds: 6 });
    t = 10_000;
    assert.deepEqual(rl.take('a'), { ok: true });
    assert.deepEqual(rl.take('a'), { ok: false, retryAfterSeconds: 10 });
  });

  it('keeps memory bounded', () => {
    let t = 0;
    const rl = createRateLimiter({ burst: 1, perMinute: 60, maxClients: 100, now: () => t });
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      t += 1;
      rl.take(`client-${i}`);
      largest = Math.max(largest, rl.size);
    }
    // 10,000 clients within 10 s, none refilled: only the bound keeps the map small.
    assert.equal(largest, 100, `at most maxClients tracked at any time: ${largest}`);
    // A recent client is still limited after the churn (its bucket was not dropped early).
    assert.equal(rl.take('client-9999').ok, false);
  });
});
