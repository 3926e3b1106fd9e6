import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Mercure "Subscription" and "Matcher Types", both dialects served at once: current `match`,
 * `match_exact`, `match_urlpattern`, the `*` wildcard; the
 * 0.x `topic` parameter with RFC 6570 URI templates. Every case publishes a set of candidate
 * topics and checks exactly which ones arrive, in order, once each.
 */

const HUB_URL = 'https://hub.example.com/.well-known/mercure';

let fx: HubFixture;
let seq = 0;

before(async () => {
  fx = await startHub({ hubUrl: HUB_URL });
});

after(() => fx.close());

/**
 * Subscribes with `query` (plus an Exact selector on a private sentinel topic), publishes one
 * update per topic of `candidates`, and returns the topics whose updates arrived, in arrival
 * order (an update listing several topics is reported by its first one).
 */
async function delivered(
  query: string,
  candidates: readonly (string | readonly string[])[],
): Promise<string[]> {
  const sentinel = `urn:sentinel:${++seq}`;
  const reader = await SseReader.open(`${fx.url}?${query}&match=${encodeURIComponent(sentinel)}`);
  try {
    assert.equal(reader.response.status, 200, `${query}: ${reader.response.status}`);
    for (const c of candidates) {
      const topics = typeof c === 'string' ? [c] : [...c];
      const res = await fx.publish({ topic: topics, data: topics[0]!, id: `u${++seq}` });
      assert.equal(res.status, 200, `publish ${topics.join(' ')}: ${res.body}`);
    }
    const before = await reader.waitForId((await fx.publish({ topic: sentinel })).body);
    return before.map((e) => e.data);
  } finally {
    reader.close();
  }
}

const q = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;

const BOOK = 'https://example.com/books/1';
const CAFE_NFC = 'https://example.com/caf\u00e9';
const CAFE_NFD = 'https://example.com/cafe\u0301';

describe('current dialect: Exact', () => {
  const candidates = [
    BOOK,
    `${BOOK}/`,
    'https://example.com/Books/1',
    'https://EXAMPLE.com/books/1',
    'https://example.com/books/%31',
    'https://example.com:443/books/1',
    '/books/1',
    'https://hub.example.com/books/1',
    CAFE_NFC,
    CAFE_NFD,
  ];

  for (const name of ['match', 'match_exact']) {
    test(`${name}: byte-for-byte, no resolution, no normalisation`, async () => {
      assert.deepEqual(await delivered(q(name, BOOK), candidates), [BOOK]);
      assert.deepEqual(await delivered(q(name, CAFE_NFD), candidates), [CAFE_NFD]);
      // A relative value is not resolved against the hub URL.
      assert.deepEqual(await delivered(q(name, '/books/1'), candidates), ['/books/1']);
    });
  }

  test('several parameters: the union, in publication order', async () => {
    assert.deepEqual(await delivered(`${q('match', CAFE_NFC)}&${q('match_exact', BOOK)}`, candidates), [
      BOOK,
      CAFE_NFC,
    ]);
  });
});

describe('current dialect: URL Pattern', () => {
  const candidates = [
    BOOK,
    'https://example.com/books/abc',
    'https://EXAMPLE.com/books/2',
    'https://example.com/books/1/chapters/2',
    'https://example.com/Books/1',
    'https://example.com/books/',
    'http://example.com/books/1',
    'https://example.com/books/1?x=1',
    'https://hub.example.com/books/3',
    '/books/4',
    'urn:isbn:1',
  ];

  for (const name of ['match_urlpattern']) {
    test(`${name}: absolute pattern, host case-insensitive, path case-sensitive`, async () => {
      // A pattern string that stops at the path leaves search and hash as wildcards (URL Pattern
      // standard, constructor string parsing), hence the `?x=1` topic.
      assert.deepEqual(await delivered(q(name, 'https://example.com/books/:id'), candidates), [
        BOOK,
        'https://example.com/books/abc',
        'https://EXAMPLE.com/books/2',
        'https://example.com/books/1?x=1',
      ]);
    });
  }

  test('a relative pattern and relative topics resolve against the hub URL', async () => {
    assert.deepEqual(await delivered(q('match_urlpattern', '/books/:id'), candidates), [
      'https://hub.example.com/books/3',
      '/books/4',
    ]);
  });

  test('wildcards inside a pattern', async () => {
    assert.deepEqual(await delivered(q('match_urlpattern', 'https://example.com/books/*'), candidates), [
      BOOK,
      'https://example.com/books/abc',
      'https://EXAMPLE.com/books/2',
      'https://example.com/books/1/chapters/2',
      'https://example.com/books/',
      'https://example.com/books/1?x=1',
    ]);
  });
});

describe('the * wildcard, whatever the matcher type', () => {
  const candidates = [BOOK, 'urn:x', '/relative', '**', 'not a URL é 😀'];
  for (const name of ['match', 'match_exact', 'match_urlpattern', 'topic']) {
    test(`${name}=*`, async () => {
      assert.deepEqual(await delivered(q(name, '*'), candidates), candidates);
    });
  }
});

describe('0.x dialect: topic with URI templates', () => {
  const candidates = [
    BOOK,
    'https://example.com/books/abc',
    'https://example.com/books/1/chapters/2',
    'https://example.com/books/a%20b',
    'https://example.com/books/1.jsonld',
    'https://example.com/Books/1',
    'https://example.com/authors/1',
    'http://example.com/books/1',
  ];

  test('{var} matches one segment', async () => {
    assert.deepEqual(await delivered(q('topic', 'https://example.com/books/{id}'), candidates), [
      BOOK,
      'https://example.com/books/abc',
      'https://example.com/books/a%20b',
      'https://example.com/books/1.jsonld',
    ]);
  });

  test('{+var} matches across segments', async () => {
    assert.deepEqual(await delivered(q('topic', 'https://example.com/{+path}'), candidates), [
      BOOK,
      'https://example.com/books/abc',
      'https://example.com/books/1/chapters/2',
      'https://example.com/books/a%20b',
      'https://example.com/books/1.jsonld',
      'https://example.com/Books/1',
      'https://example.com/authors/1',
    ]);
  });

  test('two expressions', async () => {
    assert.deepEqual(await delivered(q('topic', 'https://example.com/{kind}/{id}'), candidates), [
      BOOK,
      'https://example.com/books/abc',
      'https://example.com/books/a%20b',
      'https://example.com/books/1.jsonld',
      'https://example.com/Books/1',
      'https://example.com/authors/1',
    ]);
  });

  test('a topic without an expression is exact', async () => {
    assert.deepEqual(await delivered(q('topic', BOOK), candidates), [BOOK]);
  });

  test('served next to the current dialect, in one request', async () => {
    assert.deepEqual(
      await delivered(`${q('topic', 'https://example.com/authors/{id}')}&${q('match', BOOK)}`, candidates),
      [BOOK, 'https://example.com/authors/1'],
    );
  });
});

describe('an update with several topics is delivered once per subscriber', () => {
  const multi = [BOOK, 'https://example.com/books/2', 'urn:isbn:1'] as const;

  test('live, whichever and however many selectors match', async () => {
    for (const query of [
      `${q('match', BOOK)}&${q('match', 'urn:isbn:1')}`,
      `${q('match', BOOK)}&${q('match_urlpattern', 'https://example.com/books/:id')}&${q('match', 'urn:isbn:1')}`,
      `${q('topic', 'https://example.com/books/{id}')}&${q('match', 'urn:isbn:1')}&${q('match_urlpattern', 'https://example.com/*')}`,
      `${q('match', 'https://example.com/books/2')}`,
      `${q('match', BOOK)}&${q('match', BOOK)}`,
    ]) {
      assert.deepEqual(await delivered(query, [multi, 'urn:other', multi]), [BOOK, BOOK], query);
    }
    // With the wildcard too, every update once.
    const all = `match=*&${q('match', BOOK)}&${q('match_urlpattern', 'https://example.com/books/:id')}`;
    assert.deepEqual(await delivered(all, [multi, 'urn:other', multi]), [BOOK, 'urn:other', BOOK]);
  });

  test('replayed from history', async () => {
    const first = await fx.publish({ topic: [...multi], data: 'replayed', id: `multi-${++seq}` });
    const sentinel = `urn:sentinel:${++seq}`;
    const url = `${fx.url}?${q('match', BOOK)}&${q('match', 'urn:isbn:1')}&match=*&${q('match', sentinel)}`;
    const reader = await SseReader.open(url, { 'Last-Event-ID': 'earliest' });
    try {
      const before = await reader.waitForId((await fx.publish({ topic: sentinel })).body);
      assert.equal(before.filter((e) => e.id === first.body).length, 1);
      assert.equal(new Set(before.map((e) => e.id)).size, before.length, 'a duplicate in replay');
    } finally {
      reader.close();
    }
  });
});

describe('rejected subscriptions', () => {
  async function status(query: string): Promise<{ status: number; code: string }> {
    const res = await fetch(`${fx.url}?${query}`, { headers: { Accept: 'text/event-stream' } });
    if (res.status === 200) {
      // An accepted subscription never ends by itself: do not wait for its body.
      await res.body?.cancel();
      return { status: 200, code: '' };
    }
    return { status: res.status, code: ((await res.json()) as { code: string }).code };
  }

  test('Subscription: any other parameter in the reserved match namespace is 400 (names are case-sensitive)', async () => {
    for (const name of [
      'matchFoo',
      'matchexact',
      'matchurlpattern',
      'matchUrlPattern',
      'matchURITemplate',
      'matchType',
      'matchExact',
      'matchURLPattern',
      'match_Exact',
      'match_URLPattern',
      'match_uritemplate',
      'match_regex',
      'match[]',
      'Match',
      'MATCH',
      'MatchExact',
      'match ',
    ]) {
      assert.deepEqual(
        await status(`${q(name, BOOK)}&${q('match', BOOK)}`),
        {
          status: 400,
          code: 'unknown_match_parameter',
        },
        name,
      );
    }
  });

  test('unrelated parameters are ignored', async () => {
    const reader = await SseReader.open(`${fx.url}?${q('match', BOOK)}&foo=bar&x-match=1&submatch=1`);
    try {
      assert.equal(reader.response.status, 200);
    } finally {
      reader.close();
    }
  });

  test('no selector at all: 400', async () => {
    assert.deepEqual(await status(''), { status: 400, code: 'missing_selector' });
    assert.deepEqual(await status('foo=bar'), { status: 400, code: 'missing_selector' });
  });

  test('Subscription: control or format (Cf) characters in a matcher value: 400', async () => {
    for (const name of ['match', 'match_urlpattern', 'topic']) {
      for (const bad of [
        'a\u0000b',
        'a\u0001b',
        'a\nb',
        'a\u007fb',
        'a\u0085b',
        'a\u009fb',
        'a\u200bb',
        'a\u202eb',
        'a\ufeffb',
      ]) {
        assert.deepEqual(
          await status(q(name, `https://example.com/${bad}`)),
          {
            status: 400,
            code: 'invalid_selector',
          },
          `${name} ${JSON.stringify(bad)}`,
        );
      }
    }
  });

  test('a matcher value that is not UTF-8: 400', async () => {
    for (const name of ['match', 'match_urlpattern', 'topic']) {
      for (const bad of ['%FF', '%C3%28', '%E2%82', '%ED%A0%80']) {
        assert.deepEqual(
          await status(`${name}=https%3A%2F%2Fexample.com%2F${bad}`),
          {
            status: 400,
            code: 'bad_request',
          },
          `${name} ${bad}`,
        );
      }
    }
  });

  test('a malformed URL pattern or URI template: 400', async () => {
    assert.deepEqual(await status(q('match_urlpattern', 'https://example.com/(')), {
      status: 400,
      code: 'invalid_selector',
    });
    assert.deepEqual(await status(q('topic', 'https://example.com/{unclosed')), {
      status: 400,
      code: 'invalid_selector',
    });
  });

  test('more selectors, or a longer one, than the limits: 400', async () => {
    const fx2 = await startHub({ limits: { maxSelectorsPerSubscribe: 3, maxSelectorLength: 64 } });
    try {
      const get = async (query: string) => {
        const res = await fetch(`${fx2.url}?${query}`);
        const body = await res.text();
        return { status: res.status, code: (JSON.parse(body) as { code: string }).code };
      };
      const four = ['a', 'b', 'c', 'd'].map((t) => q('match', t)).join('&');
      assert.deepEqual(await get(four), { status: 400, code: 'too_many_selectors' });
      assert.deepEqual(await get(q('match', 'x'.repeat(65))), { status: 400, code: 'invalid_selector' });
    } finally {
      await fx2.close();
    }
  });
});
