import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAllowedImageUrl } from '../src/image-url.js';
import { createOpenverseProvider, openverseLicenseName } from '../src/providers/openverse.js';
import { ProviderError } from '../src/providers/provider.js';
import { type FakeServer, json, startFakeServer } from './helpers/fake-server.js';

// The shape of GET /v1/images/ from the real API.
const result = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Cat ${id}`,
  indexed_on: '2020-04-18T07:53:12Z',
  foreign_landing_url: `https://www.flickr.com/photos/someone/${id}`,
  url: `https://live.staticflickr.com/7421/${id}_0123456789_b.jpg`,
  creator: 'Some One',
  creator_url: 'https://www.flickr.com/photos/someone',
  license: 'by-sa',
  license_version: '2.0',
  license_url: 'https://creativecommons.org/licenses/by-sa/2.0/',
  provider: 'flickr',
  source: 'flickr',
  category: null,
  filesize: null,
  filetype: null,
  tags: [{ name: 'cat', accuracy: null }],
  attribution: '"Cat" by Some One is licensed under CC BY-SA 2.0.',
  fields_matched: ['title'],
  mature: false,
  height: 683,
  width: 1024,
  thumbnail: `https://api.openverse.org/v1/images/${id}/thumb/`,
  detail_url: `https://api.openverse.org/v1/images/${id}/`,
  related_url: `https://api.openverse.org/v1/images/${id}/related/`,
  unstable__sensitivity: [],
  ...extra,
});

const page = (results: unknown[]) => ({
  result_count: results.length,
  page_count: results.length === 0 ? 0 : 1,
  page_size: 20,
  page: 1,
  results,
  warnings: [],
});

describe('Openverse provider against a local fake Openverse', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeServer((_req, res, url) => {
      const q = url.searchParams.get('q');
      if (url.pathname !== '/v1/images/') return json(res, 404, { detail: 'Not found.' });
      if (q === 'nothing') return json(res, 200, page([]));
      if (q === 'throttled') {
        return json(
          res,
          429,
          { detail: 'Request was throttled. Expected available in 3 seconds.' },
          { 'retry-after': '3' },
        );
      }
      if (q === 'bad')
        return json(res, 400, { detail: { q: ['Ensure this field has no more than 200 characters.'] } });
      if (q === 'down') return json(res, 503, { detail: 'Service unavailable' });
      if (q === 'mixed') {
        return json(
          res,
          200,
          page([
            result('a'),
            result('b', { url: 'https://tracker.example.net/pixel.jpg' }),
            result('c', { url: 'javascript:alert(1)', thumbnail: 'https://evil.example/x' }),
            result('d', {
              url: 'http://live.staticflickr.com/1/2_3_b.jpg',
              license: 'cc0',
              license_version: '1.0',
            }),
            result('e', { creator_url: 'javascript:alert(1)', foreign_landing_url: 'data:text/html,x' }),
          ]),
        );
      }
      return json(res, 200, page([result('a'), result('b')]));
    });
  });
  after(() => fake.close());

  const provider = () => createOpenverseProvider({ baseUrl: fake.url, fetch });

  it('asks /v1/images/ with q and a page size anonymous clients may use', async () => {
    await provider().search('cat', AbortSignal.timeout(5000));
    const r = fake.requests.at(-1)!;
    assert.equal(r.url.pathname, '/v1/images/');
    assert.equal(r.url.searchParams.get('q'), 'cat');
    assert.equal(r.url.searchParams.get('page_size'), '20');
    assert.equal(r.headers.authorization, undefined, 'no key needed');
  });

  it('maps results to pictures with credit, licence and landing page', async () => {
    const found = await provider().search('cat', AbortSignal.timeout(5000));
    assert.equal(found.length, 2);
    assert.deepEqual(found[0], {
      url: 'https://live.staticflickr.com/7421/a_0123456789_b.jpg',
      title: 'Cat a',
      credit: 'Some One',
      creditUrl: 'https://www.flickr.com/photos/someone',
      license: 'CC BY-SA 2.0',
      licenseUrl: 'https://creativecommons.org/licenses/by-sa/2.0/',
      sourceUrl: 'https://www.flickr.com/photos/someone/a',
    });
  });

  it('uses the thumbnail for images on hosts off the allowlist, and drops what is neither', async () => {
    const p = provider();
    const found = await p.search('mixed', AbortSignal.timeout(5000));
    assert.deepEqual(
      found.map((f) => f.url),
      [
        'https://live.staticflickr.com/7421/a_0123456789_b.jpg',
        'https://api.openverse.org/v1/images/b/thumb/',
        'https://api.openverse.org/v1/images/d/thumb/',
        'https://live.staticflickr.com/7421/e_0123456789_b.jpg',
      ],
    );
    for (const f of found) assert.ok(isAllowedImageUrl(f.url, p.allowlist), f.url);
    assert.equal(found[2]!.license, 'CC0 1.0');
    assert.equal(found[3]!.creditUrl, undefined, 'a javascript: link is dropped');
    assert.equal(found[3]!.sourceUrl, undefined, 'a data: link is dropped');
  });

  it('answers an empty list when nothing matches', async () => {
    assert.deepEqual(await provider().search('nothing', AbortSignal.timeout(5000)), []);
  });

  it('fails on 429 throttling, 400 and 5xx answers', async () => {
    await assert.rejects(provider().search('throttled', AbortSignal.timeout(5000)), /rate limiting/);
    await assert.rejects(provider().search('bad', AbortSignal.timeout(5000)), /HTTP 400/);
    await assert.rejects(provider().search('down', AbortSignal.timeout(5000)), (e: unknown) => {
      return e instanceof ProviderError && /HTTP 503: Service unavailable/.test(e.message);
    });
  });

  it('sends a bearer token when one is configured', async () => {
    await createOpenverseProvider({ baseUrl: fake.url, fetch, token: 't0k' }).search(
      'cat',
      AbortSignal.timeout(5000),
    );
    assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer t0k');
  });

  it('names licences', () => {
    assert.equal(openverseLicenseName('by', '4.0'), 'CC BY 4.0');
    assert.equal(openverseLicenseName('pdm', '1.0'), 'Public Domain Mark');
    assert.equal(openverseLicenseName('<b>', '1'), 'See the source page');
  });
});
