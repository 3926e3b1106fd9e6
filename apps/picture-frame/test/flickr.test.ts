import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFlickrProvider } from '../src/providers/flickr.js';
import { ProviderError } from '../src/providers/provider.js';
import { type FakeServer, json, startFakeServer } from './helpers/fake-server.js';

// Shapes from the real API (flickr.photos.search with format=json&nojsoncallback=1).
const photo = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  owner: '12037949754@N01',
  secret: '3a1b2c3d4e',
  server: '65535',
  farm: 66,
  title: `Pumpkin ${id}`,
  ispublic: 1,
  isfriend: 0,
  isfamily: 0,
  license: '4',
  ownername: 'Jane Doe',
  ...extra,
});

const ok = (photos: unknown[], total = photos.length) => ({
  photos: { page: 1, pages: total === 0 ? 0 : 1, perpage: 100, total, photo: photos },
  stat: 'ok',
});

describe('Flickr provider against a local fake Flickr', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeServer((_req, res, url) => {
      const text = url.searchParams.get('text') ?? '';
      const key = url.searchParams.get('api_key');
      if (url.pathname !== '/services/rest/')
        return json(res, 404, { stat: 'fail', code: 0, message: 'nope' });
      // Flickr answers API errors with HTTP 200 and stat "fail".
      if (key !== 'good-key')
        return json(res, 200, {
          stat: 'fail',
          code: 100,
          message: 'Invalid API Key (Key has invalid format)',
        });
      if (text === 'nothing') return json(res, 200, ok([], 0));
      if (text === 'broken')
        return json(res, 500, { stat: 'fail', code: 105, message: 'Service currently unavailable' });
      if (text === 'html') {
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html>Bad gateway</html>');
      }
      if (text === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"photos": [');
      }
      if (text === 'hostile') {
        return json(
          res,
          200,
          ok([
            photo('1', { server: 'evil.example/x' }),
            photo('2', { secret: '"><script>' }),
            photo('3', { owner: '../../x' }),
            photo('4', { title: '<img src=x onerror=alert(1)>' }),
          ]),
        );
      }
      return json(
        res,
        200,
        ok([photo('52814091834'), photo('52814091835', { license: '9', ownername: '' })]),
      );
    });
  });
  after(() => fake.close());

  const provider = (apiKey = 'good-key') => createFlickrProvider({ apiKey, baseUrl: fake.url, fetch });

  it('searches by text, sorted by relevance, 100 per page, asking for JSON', async () => {
    await provider().search('pumpkin', AbortSignal.timeout(5000));
    const q = fake.requests.at(-1)!.url.searchParams;
    assert.equal(q.get('method'), 'flickr.photos.search');
    assert.equal(q.get('api_key'), 'good-key');
    assert.equal(q.get('text'), 'pumpkin');
    assert.equal(q.get('sort'), 'relevance');
    assert.equal(q.get('per_page'), '100');
    assert.equal(q.get('format'), 'json');
    assert.equal(q.get('nojsoncallback'), '1');
    assert.equal(q.get('license'), '1,2,3,4,5,6,7,8,9,10');
    assert.match(q.get('extras') ?? '', /owner_name/);
  });

  it('builds image URLs in the current live.staticflickr.com format, with credit and licence', async () => {
    const found = await provider().search('pumpkin', AbortSignal.timeout(5000));
    assert.equal(found.length, 2);
    assert.equal(found[0]!.url, 'https://live.staticflickr.com/65535/52814091834_3a1b2c3d4e_b.jpg');
    assert.equal(found[0]!.credit, 'Jane Doe');
    assert.equal(found[0]!.license, 'CC BY 2.0');
    assert.equal(found[0]!.licenseUrl, 'https://creativecommons.org/licenses/by/2.0/');
    assert.equal(found[0]!.sourceUrl, 'https://www.flickr.com/photos/12037949754@N01/52814091834');
    assert.equal(found[1]!.license, 'CC0 1.0');
    assert.equal(found[1]!.credit, '12037949754@N01', 'falls back to the owner id when ownername is empty');
  });

  it('answers an empty list when nothing matches', async () => {
    assert.deepEqual(await provider().search('nothing', AbortSignal.timeout(5000)), []);
  });

  it('fails on stat "fail" even with HTTP 200 (a bad key)', async () => {
    await assert.rejects(provider('bad-key').search('pumpkin', AbortSignal.timeout(5000)), (err: unknown) => {
      assert.ok(err instanceof ProviderError, `a ProviderError, got ${String(err)}`);
      assert.match(err.message, /Invalid API Key/);
      assert.match(err.message, /code 100/);
      return true;
    });
  });

  it('fails on HTTP errors, HTML error pages and truncated JSON', async () => {
    for (const text of ['broken', 'html', 'garbage']) {
      await assert.rejects(provider().search(text, AbortSignal.timeout(5000)), ProviderError, text);
    }
  });

  it('skips photos whose fields would not make a well-formed URL, keeps titles as plain text', async () => {
    const found = await provider().search('hostile', AbortSignal.timeout(5000));
    assert.equal(found.length, 1);
    assert.equal(found[0]!.title, '<img src=x onerror=alert(1)>', 'kept as text: the page never parses it');
    assert.equal(found[0]!.url, 'https://live.staticflickr.com/65535/4_3a1b2c3d4e_b.jpg');
  });

  it('fails when Flickr cannot be reached or is too slow', async () => {
    const { closedPort } = await import('./helpers/fake-server.js');
    const dead = createFlickrProvider({
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      fetch,
    });
    await assert.rejects(dead.search('pumpkin', AbortSignal.timeout(5000)), /could not be reached/);
    const slow = await startFakeServer(() => {
      /* never answers */
    });
    try {
      const p = createFlickrProvider({ apiKey: 'k', baseUrl: slow.url, fetch });
      await assert.rejects(p.search('pumpkin', AbortSignal.timeout(200)), /did not answer in time/);
    } finally {
      await slow.close();
    }
  });

  it('needs an API key', () => {
    assert.throws(() => createFlickrProvider({ apiKey: '' }), /FLICKR_API_KEY/);
  });
});
