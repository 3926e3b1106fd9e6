import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

/**
 * The MUSTs of the current Mercure draft (dunglas/mercure `spec/mercure.md` at 192faaa) that no
 * older test covers, one test each, named after the section of the text. docs/mercure.md maps
 * every MUST of the text to its test.
 */

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const A = 'https://example.com/a';
const B = 'https://example.com/b';
const enc = encodeURIComponent;

let fx: HubFixture;
let pub: Record<string, string>;
before(async () => {
  fx = await startHub(SIGNED_HUB);
  pub = { Authorization: `Bearer ${await publisherToken()}` };
});
after(() => fx.close());

async function published(fields: Record<string, string | string[]>): Promise<string> {
  const res = await fx.publish(fields, pub);
  assert.equal(res.status, 200, `publish ${JSON.stringify(fields)}: ${res.body}`);
  return res.body;
}

/** A `QUERY` subscribe with `body` as its form body. */
function query(url: string, body: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return SseReader.open(url, { ...FORM, ...headers }, 15_000, { method: 'QUERY', body });
}

describe('Subscription', () => {
  test('Subscription: QUERY carries the matchers in a form body; query and body are united', async () => {
    const reader = await query(`${fx.url}?match=${enc(A)}`, `match=${enc(B)}`);
    try {
      assert.equal(reader.response.status, 200, 'a QUERY subscribe is a stream');
      const a = await published({ topic: A, data: 'a' });
      const b = await published({ topic: B, data: 'b' });
      const end = await published({ topic: B, data: 'end' });
      const events = await reader.waitForId(end);
      assert.deepEqual(
        events.map((e) => e.id),
        [a, b],
        'a matcher from the query and one from the body are both subscribed',
      );
    } finally {
      reader.close();
    }
  });

  test('Subscription: body names and values obey the same rules as the query (400)', async () => {
    for (const body of [
      'matchFoo=x',
      `match=${enc('a\u0001b')}`,
      `match_urlpattern=${enc('https://x/(')}`,
      'x=1',
    ]) {
      const res = await fetch(fx.url, { method: 'QUERY', headers: FORM, body });
      assert.equal(res.status, 400, `${body}: ${await res.text()}`);
    }
    const wrongType = await fetch(fx.url, {
      method: 'QUERY',
      headers: { 'Content-Type': 'text/plain' },
      body: 'match=x',
    });
    assert.equal(wrongType.status, 415, 'the body must be application/x-www-form-urlencoded');
  });

  test('Subscription: last_event_id is single-valued, the query wins over the body, the header over both', async () => {
    const first = await published({ topic: A, data: 'first' });
    const second = await published({ topic: A, data: 'second' });
    const cases: [string, string, Record<string, string>, string][] = [
      [`match=${enc(A)}&last_event_id=${enc(first)}`, `last_event_id=${enc(second)}`, {}, first],
      [`match=${enc(A)}`, `last_event_id=${enc(second)}`, {}, second],
      [
        `match=${enc(A)}&last_event_id=${enc(first)}`,
        `last_event_id=${enc(first)}`,
        { 'Last-Event-ID': second },
        second,
      ],
    ];
    for (const [q, body, headers, expected] of cases) {
      const reader = await query(`${fx.url}?${q}`, body, headers);
      try {
        assert.equal(
          reader.response.headers.get('mercure-last-event-id'),
          expected,
          `${q} | ${body} | ${JSON.stringify(headers)}`,
        );
      } finally {
        reader.close();
      }
    }
  });

  test('Subscription: match_exact is the explicit spelling of match', async () => {
    const reader = await SseReader.open(`${fx.url}?match_exact=${enc(A)}`);
    try {
      assert.equal(reader.response.status, 200, 'match_exact is accepted');
      const other = await published({ topic: `${A}/x`, data: 'not exact' });
      const id = await published({ topic: A, data: 'exact' });
      const events = await reader.waitForId(id);
      assert.ok(!events.some((e) => e.id === other), 'exact, not a prefix');
    } finally {
      reader.close();
    }
  });
});

describe('Publication', () => {
  test('Publication: topics, ids and types with Unicode format (Cf) characters are 400', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ topic: 'https://example.com/\u200bx' }, 'invalid_topic'],
      [{ topic: A, id: 'a\u202eb' }, 'invalid_id'],
      [{ topic: A, id: '\ufeffid' }, 'invalid_id'],
      [{ topic: A, id: 'a\u0085b' }, 'invalid_id'],
      [{ topic: A, type: 'a\u2060b' }, 'invalid_type'],
      [{ topic: A, type: 'a\u0007b' }, 'invalid_type'],
      [{ topic: A, alt: 'x', id: `urn:x:\u{e0001}` }, 'invalid_id'],
    ];
    for (const [fields, code] of cases) {
      const res = await fx.publish(fields, pub);
      assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { code: string }).code, code, JSON.stringify(fields));
    }
  });
});

describe('Error Responses', () => {
  test('Error Responses: every 401 and 403 carries a Bearer challenge naming the resource metadata', async () => {
    const metadata =
      /resource_metadata="https:\/\/hub\.example\/\.well-known\/oauth-protected-resource\/\.well-known\/mercure"/;
    const noToken = await fx.publish({ topic: A });
    assert.equal(noToken.status, 401, 'no token');
    assert.doesNotMatch(
      noToken.headers.get('www-authenticate') ?? '',
      /error=/,
      'no error code without a token',
    );
    assert.match(noToken.headers.get('www-authenticate') ?? '', metadata, 'no token: resource_metadata');
    const bad = await fx.publish({ topic: A }, { Authorization: 'Bearer garbage' });
    assert.equal(bad.status, 401, 'invalid token');
    assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/, 'invalid_token');
    assert.match(bad.headers.get('www-authenticate') ?? '', metadata, 'invalid token: resource_metadata');
    const narrow = await fx.publish({ topic: B }, { Authorization: `Bearer ${await publisherToken([A])}` });
    assert.equal(narrow.status, 403, 'insufficient scope');
    assert.match(
      narrow.headers.get('www-authenticate') ?? '',
      /error="insufficient_scope"/,
      'insufficient_scope',
    );
    assert.match(
      narrow.headers.get('www-authenticate') ?? '',
      metadata,
      'insufficient scope: resource_metadata',
    );
  });
});

describe('Authorization', () => {
  test('Authorization: a development hub (no keys) serves a client sending a token as anonymous, and says so', async () => {
    const dev = await startHub({});
    try {
      const token = await subscriberToken();
      const reader = await SseReader.open(`${dev.url}?match=${enc(A)}`, { Authorization: `Bearer ${token}` });
      try {
        assert.equal(reader.response.status, 200, 'not refused with 401');
        assert.match(
          reader.response.headers.get('tidings-token-ignored') ?? '',
          /not verified.*anonymous/,
          'the answer says so',
        );
      } finally {
        reader.close();
      }
      const res = await dev.publish({ topic: A }, { Authorization: 'Bearer anything' });
      assert.equal(res.status, 200, 'publishing is open on a hub with no publisher key');
      assert.match(
        res.headers.get('tidings-token-ignored') ?? '',
        /publisher key/,
        'the publish answer says so',
      );
      const plain = await SseReader.open(`${dev.url}?match=${enc(A)}`);
      try {
        assert.equal(plain.response.headers.get('tidings-token-ignored'), null, 'no notice without a token');
      } finally {
        plain.close();
      }
    } finally {
      await dev.close();
    }
    const keyed = await SseReader.open(`${fx.url}?match=${enc(A)}`, { Authorization: 'Bearer garbage' });
    assert.equal(keyed.response.status, 401, 'with keys, an invalid token is still a 401');
    keyed.close();
  });
});
