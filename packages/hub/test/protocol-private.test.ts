import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { atClaims, nowSeconds, SECRET, SUBSCRIBER_SECRET, sign, TOKEN_TRUST } from './auth-fixtures.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { metric } from './support/read-metrics.js';
import { SseReader } from './support/sse-reader.js';

/**
 * Mercure "Authorization": private updates reach only subscribers whose token grants
 * `subscribe` on one of their topics (current `authorization_details`, or the 0.x `mercure`
 * claim in a header, the `mercureAuthorization` cookie or the `authorization` query parameter),
 * live and on replay alike; never anonymous subscribers, never ungranted ones, whatever their
 * routing selectors ask for. Publishers need a token granting `publish` on the topic.
 */

const A = 'https://example.com/books/1';
const B = 'https://example.com/books/2';
const C = 'https://example.com/authors/1';
const SENTINEL = 'https://example.com/sentinel';

let fx: HubFixture;
let publisher: Record<string, string>;

before(async () => {
  fx = await startHub({
    ...TOKEN_TRUST,
    publisherKeys: [SECRET],
    subscriberKeys: [SUBSCRIBER_SECRET],
    anonymous: true,
  });
  publisher = { Authorization: `Bearer ${await sign(atClaims(['publish'], ['*']))}` };
});

after(() => fx.close());

const subscriberToken = (claims: Record<string, unknown>, typ?: string | null) =>
  sign(claims, { key: SUBSCRIBER_SECRET, ...(typ !== undefined && { typ }) });

/** authorization_details granting `actions` on URL patterns. */
function patternClaims(actions: string[], patterns: string[]): Record<string, unknown> {
  return {
    exp: nowSeconds() + 3600,
    authorization_details: [
      {
        type: 'https://mercure.rocks/authorization-detail',
        actions,
        topics: patterns.map((match) => ({ match, match_type: 'urlpattern' })),
      },
    ],
  };
}

/** The 0.x claim, in a token with no `typ` (0.x tokens were plain JWTs). */
function legacyClaims(subscribe: string[]): Record<string, unknown> {
  return { exp: nowSeconds() + 3600, mercure: { subscribe } };
}

interface Viewer {
  readonly name: string;
  /** Request headers and extra query for the subscription. */
  readonly headers: Record<string, string>;
  readonly query: string;
  /** Which private updates (by label) this viewer may read. */
  readonly reads: readonly string[];
}

/** The private updates published in each scenario, by label. */
const PRIVATE: Record<string, string[]> = {
  'private A': [A],
  'private B': [B],
  'private C': [C],
  'private C+A': [C, A],
};

async function viewers(): Promise<Viewer[]> {
  const bearer = async (claims: Record<string, unknown>, typ?: string | null) => ({
    Authorization: `Bearer ${await subscriberToken(claims, typ)}`,
  });
  return [
    { name: 'anonymous', headers: {}, query: '', reads: [] },
    {
      name: 'granted A (Exact)',
      headers: await bearer(atClaims(['subscribe'], [A])),
      query: '',
      reads: ['private A', 'private C+A'],
    },
    {
      name: 'granted B only',
      headers: await bearer(atClaims(['subscribe'], [B])),
      query: '',
      reads: ['private B'],
    },
    {
      name: 'publish, not subscribe, on A',
      headers: await bearer(atClaims(['publish'], [A])),
      query: '',
      reads: [],
    },
    {
      name: 'a token granting nothing',
      headers: await bearer({ exp: nowSeconds() + 3600 }),
      query: '',
      reads: [],
    },
    {
      name: 'granted /books/:id (URLPattern)',
      headers: await bearer(patternClaims(['subscribe'], ['https://example.com/books/:id'])),
      query: '',
      reads: ['private A', 'private B', 'private C+A'],
    },
    {
      name: 'granted *',
      headers: await bearer(atClaims(['subscribe'], ['*'])),
      query: '',
      reads: Object.keys(PRIVATE),
    },
    {
      name: '0.x claim, header',
      headers: await bearer(legacyClaims(['https://example.com/authors/{id}']), null),
      query: '',
      reads: ['private C', 'private C+A'],
    },
    {
      name: '0.x claim, mercureAuthorization cookie',
      headers: { Cookie: `mercureAuthorization=${await subscriberToken(legacyClaims([B]), null)}` },
      query: '',
      reads: ['private B'],
    },
    {
      name: '0.x claim, authorization query parameter',
      headers: {},
      query: `&authorization=${await subscriberToken(legacyClaims(['https://example.com/{+any}']), null)}`,
      reads: Object.keys(PRIVATE),
    },
  ];
}

/** Publishes public and private updates on A, B, C; returns [label, id] in publication order. */
async function publishMix(tag: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const all: [string, string[], boolean][] = [
    ['public A', [A], false],
    ...Object.entries(PRIVATE).map(([label, topics]): [string, string[], boolean] => [label, topics, true]),
    ['public B', [B], false],
  ];
  for (const [label, topics, isPrivate] of all) {
    const fields: Record<string, string | string[]> = { topic: topics, data: label, id: `${tag}:${label}` };
    if (isPrivate) fields['private'] = 'on';
    const res = await fx.publish(fields, publisher);
    assert.equal(res.status, 200, `${label}: ${res.body}`);
    out.push([label, res.body]);
  }
  return out;
}

async function sentinel(tag: string): Promise<string> {
  const res = await fx.publish({ topic: SENTINEL, data: 'end', id: `${tag}:end` }, publisher);
  assert.equal(res.status, 200);
  return res.body;
}

const ROUTING = `match=*&match=${encodeURIComponent(SENTINEL)}`;

describe('private updates, live', () => {
  test('each subscriber gets the public updates and exactly the private ones its token grants', async () => {
    const vs = await viewers();
    const readers = await Promise.all(
      vs.map((v) => SseReader.open(`${fx.url}?${ROUTING}${v.query}`, v.headers)),
    );
    try {
      for (const [i, r] of readers.entries()) assert.equal(r.response.status, 200, vs[i]!.name);
      const published = await publishMix('live');
      const end = await sentinel('live');
      for (const [i, r] of readers.entries()) {
        const v = vs[i]!;
        const want = published.filter(([label]) => label.startsWith('public') || v.reads.includes(label));
        // Only this test's updates: a `*` grant also reads the hub's own subscription events.
        const got = (await r.waitForId(end)).filter((e) => e.id?.startsWith('live:')).map((e) => e.data);
        assert.deepEqual(
          got,
          want.map(([label]) => label),
          v.name,
        );
      }
    } finally {
      for (const r of readers) r.close();
    }
  });

  test('routing selectors never widen what a token may read', async () => {
    // Subscribed exactly to B, and by pattern to every book: still only what the token grants.
    const headers = { Authorization: `Bearer ${await subscriberToken(atClaims(['subscribe'], [A]))}` };
    const query = `match=${encodeURIComponent(B)}&match_urlpattern=${encodeURIComponent('https://example.com/books/*')}&match=${encodeURIComponent(SENTINEL)}`;
    const r = await SseReader.open(`${fx.url}?${query}`, headers);
    try {
      await publishMix('routing');
      const end = await sentinel('routing');
      assert.deepEqual(
        (await r.waitForId(end)).map((e) => e.data),
        ['public A', 'private A', 'private C+A', 'public B'],
      );
    } finally {
      r.close();
    }
  });
});

describe('private updates, replayed', () => {
  test('replay applies the same rules: earliest, and resume from an id', async () => {
    const published = await publishMix('replay');
    const end = await sentinel('replay');
    const vs = await viewers();
    for (const from of ['earliest', published[0]![1]]) {
      const readers = await Promise.all(
        vs.map((v) =>
          SseReader.open(`${fx.url}?${ROUTING}${v.query}`, { ...v.headers, 'Last-Event-ID': from }),
        ),
      );
      try {
        const live = await sentinel(`replay-live-${from}`);
        for (const [i, r] of readers.entries()) {
          const v = vs[i]!;
          // Ids are percent-encoded in headers (http/header-value.ts: idHeaderValue): decode.
          const echoed = r.response.headers.get('mercure-last-event-id');
          assert.equal(echoed === null ? null : decodeURIComponent(echoed), from, v.name);
          const after = from === 'earliest' ? published : published.slice(1);
          const want = [
            ...after
              .filter(([label]) => label.startsWith('public') || v.reads.includes(label))
              .map(([, id]) => id),
            end,
            live,
          ];
          const got = (await r.waitForId(live)).map((e) => e.id!).filter((id) => id.startsWith('replay:'));
          assert.deepEqual([...got, live], want, `${v.name}, from ${from}`);
        }
      } finally {
        for (const r of readers) r.close();
      }
    }
  });
});

describe('tokens and streams', () => {
  test('a subscriber token signed with the publisher key is refused: 401 invalid_token', async () => {
    const wrongKey = await sign(atClaims(['subscribe'], ['*']));
    const res = await fetch(`${fx.url}?match=*`, { headers: { Authorization: `Bearer ${wrongKey}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    await res.body?.cancel();
  });

  test('the stream is closed no later than the token expires', async () => {
    const expired = () => metric(fx.url, 'tidings_dropped_subscribers_total', '{reason="token_expired"}');
    const before = await expired();
    const exp = nowSeconds() + 2;
    const token = await subscriberToken({ ...atClaims(['subscribe'], [A]), exp });
    const r = await SseReader.open(`${fx.url}?match=*`, { Authorization: `Bearer ${token}` });
    assert.equal(r.response.status, 200);
    // Awaited with a generous deadline (a busy machine makes the end late, never early); that it
    // was the expiry that ended it is the reason counted, and the end is clean, not a reset.
    const end = await r.endedWithin(15_000);
    const endedAt = Date.now();
    assert.equal(end.kind, 'clean', 'the hub ended the stream with its terminating chunk');
    assert.ok(endedAt >= exp * 1000 - 1000, `ended ${exp * 1000 - endedAt} ms before exp`);
    assert.equal(await expired(), before + 1, 'ended because the token expired');
  });

  test('a hub that refuses anonymous subscribers answers 401 with a bare Bearer challenge', async () => {
    const closed = await startHub({ ...TOKEN_TRUST, subscriberKeys: [SUBSCRIBER_SECRET], anonymous: false });
    try {
      const res = await fetch(`${closed.url}?match=*`);
      assert.equal(res.status, 401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer\b/);
      assert.doesNotMatch(challenge, /error=/);
      await res.body?.cancel();
    } finally {
      await closed.close();
    }
  });
});

describe('publishers', () => {
  test('no token: 401 with a bare Bearer challenge; nothing dispatched', async () => {
    const watch = await SseReader.open(`${fx.url}?match=*`);
    try {
      const res = await fx.publish({ topic: A, data: 'no token' });
      assert.equal(res.status, 401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer\b/);
      assert.doesNotMatch(challenge, /error=/);
      const end = await sentinel('no-token');
      assert.deepEqual(await watch.waitForId(end), []);
    } finally {
      watch.close();
    }
  });

  test('an invalid token: 401 invalid_token; one without publish on the topic: 403 insufficient_scope', async () => {
    const watch = await SseReader.open(`${fx.url}?match=*`);
    try {
      const cases: [string, number, string][] = [
        [await sign(atClaims(['publish'], ['*']), { key: SUBSCRIBER_SECRET }), 401, 'invalid_token'],
        [`${await sign(atClaims(['publish'], ['*']))}x`, 401, 'invalid_token'],
        [await sign(atClaims(['publish'], [B])), 403, 'insufficient_scope'],
        [await sign(atClaims(['subscribe'], [A])), 403, 'insufficient_scope'],
        [
          await sign({ exp: nowSeconds() + 60, mercure: { publish: [B] } }, { typ: null }),
          403,
          'insufficient_scope',
        ],
      ];
      for (const [token, status, error] of cases) {
        const res = await fx.publish({ topic: A, data: 'refused' }, { Authorization: `Bearer ${token}` });
        assert.equal(res.status, status, res.body);
        assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer .*error="${error}"`));
      }
      const end = await sentinel('refused');
      assert.deepEqual(await watch.waitForId(end), []);
    } finally {
      watch.close();
    }
  });

  test('a token granting publish on the topic, current or 0.x, by pattern or template: 200', async () => {
    for (const token of [
      await sign(atClaims(['publish'], [A])),
      await sign(patternClaims(['publish'], ['https://example.com/books/:id'])),
      await sign(
        { exp: nowSeconds() + 60, mercure: { publish: ['https://example.com/books/{id}'] } },
        { typ: null },
      ),
    ]) {
      const res = await fx.publish({ topic: A, data: 'allowed' }, { Authorization: `Bearer ${token}` });
      assert.equal(res.status, 200, res.body);
    }
  });
});

describe('0.x authorization query parameter', () => {
  test('is never written to the logs, however the parameter name is spelled', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const logged = await startHub({
      ...TOKEN_TRUST,
      subscriberKeys: [SUBSCRIBER_SECRET],
      anonymous: true,
      logger,
    });
    try {
      const token = await subscriberToken(legacyClaims(['*']), null);
      // Each request fails (unknown match parameter, or a token refused), so the hub logs its URL.
      const queries = [
        `authorization=${token}&matchFoo=1`,
        `access_token=${token}&matchFoo=1`,
        `%61uthorization=${token}&matchFoo=1`,
        `access%5Ftoken=${token}&matchFoo=1`,
        `match=*&authorization=${token}x`,
        `match=*&%61ccess_token=${token}x`,
      ];
      for (const query of queries) {
        const before = lines.length;
        const res = await fetch(`${logged.url}?${query}`);
        assert.ok(res.status === 400 || res.status === 401, `${query}: ${res.status}`);
        await res.body?.cancel();
        const written = lines.slice(before).join('');
        assert.match(written, /well-known\/mercure\?/, `nothing logged for ${query}`);
        assert.ok(!written.includes(token.split('.')[2]!), `token logged: ${written}`);
      }
    } finally {
      await logged.close();
    }
  });
});
