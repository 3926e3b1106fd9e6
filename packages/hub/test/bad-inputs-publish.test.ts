/**
 * bad-inputs.md, "Publishing": every row sent at a running hub over loopback. Each rejected
 * request is checked for its status, its stable code, its RFC 6750 challenge, and that it
 * dispatched nothing while two honest subscribers stay connected (QuietWatch).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { answerOf, assertProblem } from './support/expect-problem.js';
import { formBody, type HubFixture, startHub } from './support/hub-fixture.js';
import { QuietWatch } from './support/quiet-watch.js';
import { rawExchange } from './support/raw-http.js';
import {
  AUDIENCE,
  accessToken,
  handSigned,
  ISSUER,
  nowSeconds,
  PUBLISHER_SECRET,
  publisherToken,
  SIGNED_TRUST,
  SUBSCRIBER_SECRET,
  signClaims,
  subscriberToken,
  unsigned,
} from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const TOPIC = 'https://example.com/books/1';
const APP_ORIGIN = 'https://app.example';
const MAX_TOPICS = 4;
const MAX_BODY = 64 * 1024;

describe('bad inputs: publishing', () => {
  let fx: HubFixture;
  let watch: QuietWatch;
  let auth: Record<string, string>;
  let token: string;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  before(async () => {
    fx = await startHub({
      hubUrl: 'https://hub.example/.well-known/mercure',
      publisherKeys: [PUBLISHER_SECRET, rsaPublicPem],
      ...SIGNED_TRUST,
      subscriberKeys: [SUBSCRIBER_SECRET],
      jwtIssuer: ISSUER,
      jwtAudience: AUDIENCE,
      anonymous: true,
      corsOrigins: [APP_ORIGIN],
      // Subscription events are private updates: they would interleave with the sentinels.
      subscriptions: false,
      limits: { maxTopicsPerPublish: MAX_TOPICS, maxBodyBytes: MAX_BODY },
    });
    token = await publisherToken();
    auth = { Authorization: `Bearer ${token}` };
    watch = await QuietWatch.open(fx, auth, { Authorization: `Bearer ${await subscriberToken()}` });
  });

  after(async () => {
    watch.close();
    await fx.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(fx.url, { method: 'POST', headers: { ...FORM, ...headers }, body }).then(answerOf);
  const publishWith = (
    bearer: string,
    fields: Record<string, string | string[]> = { topic: TOPIC, data: 'x' },
  ) => post(formBody(fields), { Authorization: `Bearer ${bearer}` });

  test('no token, bad signature, malformed token: 401 with WWW-Authenticate: Bearer', async () => {
    await watch.quietly(async () => {
      assertProblem(await post(formBody({ topic: TOPIC, data: 'x' })), 'missing_token', {
        challenge: 'none',
      });
    });
    const [h, p] = token.split('.') as [string, string, string];
    const badSignature = [
      await publisherToken(['*'], { key: 'another-secret-that-is-32-bytes-long!!' }),
      `${h}.${p}.${'A'.repeat(43)}`,
      `${h}.${p}.`,
    ];
    const malformed = [
      'x',
      `${h}.${p}`,
      `${token}.x`,
      `${h}..`,
      `${h}.${p}.sig+with/std=`,
      `${h.slice(0, -2)}!!.${p}.abc`,
      `${b64('{"alg":"HS256"')}.${p}.abc`,
      `${b64('[]')}.${p}.abc`,
      `${h}.${b64('not json')}.abc`,
      'e30.e30.e30',
      '.'.repeat(200),
    ];
    for (const bad of [...badSignature, ...malformed]) {
      await watch.quietly(async () => {
        assertProblem(await publishWith(bad), 'invalid_token', { challenge: 'invalid_token' });
      });
    }
    // Other presentations of a bad token: another scheme, an empty bearer, the query parameter.
    for (const headers of [{ Authorization: `Basic ${b64('a:b')}` }, { Authorization: 'Bearer' }]) {
      await watch.quietly(async () => {
        assertProblem(await post(formBody({ topic: TOPIC }), headers), 'invalid_request', {
          challenge: 'invalid_request',
        });
      });
    }
    await watch.quietly(async () => {
      const res = await fetch(`${fx.url}?authorization=garbage`, {
        method: 'POST',
        headers: FORM,
        body: formBody({ topic: TOPIC }),
      });
      assertProblem(await answerOf(res), 'invalid_token', { challenge: 'invalid_token' });
    });
  });

  test('alg none, HS256 with the RSA public key, expired, future nbf, wrong aud/iss/typ: 401', async () => {
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSeconds() + 3600,
      authorization_details: [
        {
          type: 'https://mercure.rocks/authorization-detail',
          actions: ['publish'],
          topics: [{ match: '*' }],
        },
      ],
    };
    const cases: [string, string][] = [
      ['alg none', unsigned(claims)],
      ['alg NONE', `${b64({ alg: 'NONE', typ: 'at+jwt' })}.${b64(claims)}.`],
      [
        'HS256 keyed with the RSA public key',
        handSigned({ alg: 'HS256', typ: 'at+jwt' }, claims, rsaPublicPem),
      ],
      [
        'HS256 keyed with the RSA public key (DER)',
        handSigned(
          { alg: 'HS256', typ: 'at+jwt' },
          claims,
          rsa.publicKey.export({ type: 'spki', format: 'der' }),
        ),
      ],
      ['expired', await publisherToken(['*'], { claims: { exp: nowSeconds() - 3600 } })],
      ['future nbf', await publisherToken(['*'], { claims: { nbf: nowSeconds() + 3600 } })],
      ['wrong aud', await publisherToken(['*'], { claims: { aud: 'https://other.example' } })],
      ['no aud', await publisherToken(['*'], { claims: { aud: undefined } })],
      ['wrong iss', await publisherToken(['*'], { claims: { iss: 'https://evil.example' } })],
      ['at+jwt without exp', await publisherToken(['*'], { claims: { exp: undefined } })],
      ['typ JWT with authorization_details', await publisherToken(['*'], { typ: 'JWT' })],
      ['typ dpop+jwt', await publisherToken(['*'], { typ: 'dpop+jwt' })],
      ['no typ with authorization_details', await publisherToken(['*'], { typ: null })],
      ['typ not a string', handSigned({ alg: 'HS256', typ: 7 }, claims, PUBLISHER_SECRET)],
      ['signed with the subscriber key', await publisherToken(['*'], { key: SUBSCRIBER_SECRET })],
      ['HS512 with an unknown secret', await publisherToken(['*'], { alg: 'HS512', key: 'x'.repeat(64) })],
    ];
    // The same RSA key signing properly is accepted: the rejection above is the algorithm, not the key.
    const good = await signClaims(claims, { alg: 'RS256', key: rsa.privateKey });
    assert.equal((await publishWith(good)).status, 200, 'RS256 with the configured key is accepted');
    for (const [name, bad] of cases) {
      await watch.quietly(async () => {
        const answer = await publishWith(bad);
        assert.equal(answer.status, 401, `${name}: ${answer.body}`);
        assertProblem(answer, 'invalid_token', { challenge: 'invalid_token' });
      });
    }
  });

  test('a valid token without a publish grant, or a topic outside it: 403 insufficient_scope', async () => {
    const cases = [
      await accessToken(['subscribe'], ['*'], { key: PUBLISHER_SECRET }),
      await publisherToken(['https://example.com/other']),
      await signClaims({ exp: nowSeconds() + 60 }, { typ: null }), // 0.x token granting nothing
    ];
    for (const bad of cases) {
      await watch.quietly(async () => {
        assertProblem(await publishWith(bad), 'insufficient_scope', { challenge: 'insufficient_scope' });
      });
    }
    // One topic inside the grant and one outside: all topics must be granted.
    const narrow = await publisherToken([TOPIC]);
    await watch.quietly(async () => {
      assertProblem(
        await publishWith(narrow, { topic: [TOPIC, 'https://example.com/secret'], data: 'x' }),
        'insufficient_scope',
        { challenge: 'insufficient_scope' },
      );
    });
    assert.equal((await publishWith(narrow, { topic: TOPIC, data: 'ok' })).status, 200);
  });

  test('cookie-authenticated publish from a foreign Origin, or with neither Origin nor Referer: 403', async () => {
    const cookie = { Cookie: `mercureAuthorization=${token}` };
    const foreign = [
      { ...cookie, Origin: 'https://evil.example' },
      { ...cookie, Origin: 'null' },
      { ...cookie, Origin: `${APP_ORIGIN}.evil.example` },
      { ...cookie, Referer: 'https://evil.example/app.example' },
      { ...cookie, Origin: 'https://evil.example', Referer: `${APP_ORIGIN}/page` },
      cookie,
    ];
    for (const headers of foreign) {
      await watch.quietly(async () => {
        assertProblem(await post(formBody({ topic: TOPIC, data: 'csrf' }), headers), 'forbidden_origin');
      });
    }
    // Controls: the same cookie from the allowed origin (Origin, or Referer alone) is accepted.
    assert.equal((await post(formBody({ topic: TOPIC }), { ...cookie, Origin: APP_ORIGIN })).status, 200);
    assert.equal(
      (await post(formBody({ topic: TOPIC }), { ...cookie, Referer: `${APP_ORIGIN}/x` })).status,
      200,
    );
  });

  test('no topic, too many topics, body over the limit, wrong content type: 400 / 413 / 413 / 415', async () => {
    const noTopic: Record<string, string>[] = [{ data: 'x' }, {}, { Topic: TOPIC }, { 'topic[]': TOPIC }];
    for (const fields of noTopic) {
      await watch.quietly(async () => {
        assertProblem(await post(formBody(fields), auth), 'missing_topic');
      });
    }
    const topics = Array.from({ length: MAX_TOPICS + 1 }, (_, i) => `${TOPIC}/${i}`);
    await watch.quietly(async () => {
      assertProblem(await post(formBody({ topic: topics }), auth), 'too_many_topics');
    });
    assert.equal(
      (await post(formBody({ topic: topics.slice(1) }), auth)).status,
      200,
      'the limit itself is allowed',
    );

    const big = formBody({ topic: TOPIC, data: 'x'.repeat(MAX_BODY) });
    await watch.quietly(async () => {
      assertProblem(await post(big, auth), 'body_too_large');
    });
    // Chunked, with no Content-Length to check up front: cut once the limit is passed.
    await watch.quietly(async () => {
      const head = `POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const chunk = `${(16 * 1024).toString(16)}\r\n${'d'.repeat(16 * 1024)}\r\n`;
      const res = await rawExchange(fx.port, [head, `4\r\ndata\r\n`, ...Array(8).fill(chunk)], {
        gapMs: 5,
        stopWhen: (r) => r.status !== undefined && r.body.length > 0,
      });
      assertProblem(res, 'body_too_large');
    });

    const types: (string | undefined)[] = [
      'text/plain',
      'application/json',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencodedx',
      undefined,
    ];
    for (const type of types) {
      await watch.quietly(async () => {
        const headers: Record<string, string> = { ...auth };
        if (type !== undefined) headers['Content-Type'] = type;
        // A Uint8Array body makes fetch send no Content-Type of its own.
        const res = await fetch(fx.url, { method: 'POST', headers, body: Buffer.from(`topic=${TOPIC}`) });
        assertProblem(await answerOf(res), 'unsupported_media_type');
      });
    }
    // Parameters and case do not matter (RFC 9110 8.3.1).
    const ok = await post(formBody({ topic: TOPIC }), {
      ...auth,
      'Content-Type': 'Application/X-WWW-Form-URLEncoded; charset=utf-8',
    });
    assert.equal(ok.status, 200);
  });

  test('topic with CR, LF, NUL, other control characters, or invalid UTF-8: 400', async () => {
    // (A lone surrogate cannot travel as UTF-8: its encoding is among the invalid sequences below.)
    const controls = ['\r', '\n', '\0', '\x01', '\x1b', '\x7f', '\x85', '\x9f'];
    for (const c of controls) {
      await watch.quietly(async () => {
        const res = await post(formBody({ topic: `https://example.com/a${c}b` }), auth);
        assert.equal(res.status, 400, `U+${c.charCodeAt(0).toString(16)}`);
        assertProblem(res, 'invalid_topic');
      });
    }
    const encodings = ['%FF', '%C3%28', '%ED%A0%80', '%C0%AF', '%F4%90%80%80', '%E2%82'];
    for (const bad of encodings) {
      await watch.quietly(async () => {
        assertProblem(await post(`topic=https%3A%2F%2Fexample.com%2F${bad}`, auth), 'invalid_form');
      });
    }
    // Raw bytes that are not UTF-8, not percent-encoded.
    for (const bytes of [[0xff], [0xc3, 0x28], [0xe2, 0x82]]) {
      await watch.quietly(async () => {
        const body = Buffer.concat([Buffer.from('topic=https://example.com/'), Buffer.from(bytes)]);
        assertProblem(await post(body, auth), 'invalid_form');
      });
    }
    // An empty topic is no topic.
    await watch.quietly(async () => {
      assertProblem(await post('topic=', auth), 'invalid_topic');
    });
  });

  test('id or type with CR/LF/NUL, id earliest or #..., type mercure, topic * or reserved: 400', async () => {
    const cases: [
      Record<string, string | string[]>,
      'invalid_id' | 'invalid_type' | 'wildcard_topic' | 'reserved_topic',
    ][] = [
      [{ topic: TOPIC, id: 'a\rb' }, 'invalid_id'],
      [{ topic: TOPIC, id: 'a\nid: b' }, 'invalid_id'],
      [{ topic: TOPIC, id: 'a\0' }, 'invalid_id'],
      [{ topic: TOPIC, id: 'earliest' }, 'invalid_id'],
      [{ topic: TOPIC, id: '#1' }, 'invalid_id'],
      [{ topic: TOPIC, id: '#' }, 'invalid_id'],
      [{ topic: TOPIC, type: 'a\rb' }, 'invalid_type'],
      [{ topic: TOPIC, type: 'a\n\ndata: x' }, 'invalid_type'],
      [{ topic: TOPIC, type: '\0' }, 'invalid_type'],
      [{ topic: TOPIC, type: 'mercure' }, 'invalid_type'],
      [{ topic: '*' }, 'wildcard_topic'],
      [{ topic: [TOPIC, '*'] }, 'wildcard_topic'],
      [{ topic: '/.well-known/mercure' }, 'reserved_topic'],
      [{ topic: '/.well-known/mercure/subscriptions/x' }, 'reserved_topic'],
      [{ topic: 'https://hub.example/.well-known/mercure/subscriptions' }, 'reserved_topic'],
      [{ topic: 'https://elsewhere.example/.well-known/mercure/x' }, 'reserved_topic'],
      [{ topic: 'https://hub.example/.well-known/%6Dercure/x' }, 'reserved_topic'],
      [{ topic: [TOPIC, '/.well-known/mercure/subscriptions/y'] }, 'reserved_topic'],
    ];
    for (const [fields, code] of cases) {
      await watch.quietly(async () => {
        assertProblem(await post(formBody({ data: 'x', ...fields }), auth), code);
      });
    }
  });

  test('retry -1, 1e3, 1.5, +5, absurdly long: 400', async () => {
    for (const retry of ['-1', '1e3', '1.5', '+5', ' 5', '5 ', '0x10', '٣', '9'.repeat(400), '86400001']) {
      await watch.quietly(async () => {
        assertProblem(await post(formBody({ topic: TOPIC, retry }), auth), 'invalid_retry');
      });
    }
    assert.equal((await post(formBody({ topic: TOPIC, retry: '3000' }), auth)).status, 200);
  });

  test('data with an injected id/event, a lone CR, CRLF: accepted, one event each, line ends normalised to LF', async () => {
    const inputs = [
      '\nid: x\n\nevent: y',
      'a\nid: x\n\nevent: y\n\n',
      'lone\rcr',
      '\r',
      'crlf\r\nline\r\n',
      '\r\n\r\n',
      'mixed\r\n\n\r',
      'retry: 1\ndata: z\n: comment',
      '',
    ];
    await watch.settle();
    const from = [watch.granted.events.length, watch.anonymous.events.length] as const;
    const ids: string[] = [];
    for (const data of inputs) {
      const res = await post(formBody({ topic: TOPIC, data }), auth);
      assert.equal(res.status, 200, res.body);
      assert.match(
        res.headers instanceof Headers ? (res.headers.get('content-type') ?? '') : '',
        /^text\/plain/,
      );
      ids.push(res.body);
    }
    for (const [reader, n] of [
      [watch.granted, from[0]],
      [watch.anonymous, from[1]],
    ] as const) {
      const events = (await reader.waitFor(n + inputs.length)).slice(n);
      assert.equal(events.length, inputs.length, 'exactly one event per publish');
      events.forEach((e, i) => {
        assert.equal(e.id, ids[i]);
        assert.equal(e.event, undefined, 'no injected event type');
        assert.equal(e.data, inputs[i]!.replace(/\r\n|\r/g, '\n'));
      });
    }
    // And nothing else: the next event is the sentinel.
    await watch.quietly(async () => {});
  });

  test('Publication: an id already in history is replaced by a hub-generated one (200), ids stay unique', async () => {
    const id = `urn:example:dup:${Date.now()}`;
    const first = await post(formBody({ topic: TOPIC, id, data: 'first' }), auth);
    assert.equal(first.status, 200, 'first publish');
    assert.equal(first.body, id, 'the client id is kept when unused');
    const second = await post(formBody({ topic: TOPIC, id, data: 'second' }), auth);
    assert.equal(second.status, 200, 'a reused id is not refused');
    assert.match(
      second.body,
      /^urn:uuid:/,
      'the hub generated its own id (Mercure: it MAY ignore the client id)',
    );
    const resumed = await SseReader.open(`${fx.url}?match=${encodeURIComponent(TOPIC)}`, {
      'Last-Event-ID': 'earliest',
    });
    try {
      const after = await post(formBody({ topic: TOPIC, data: 'after-dup' }), auth);
      const events = await waitForData(resumed, 'after-dup');
      const copies = events.filter((e) => e.id === id);
      assert.deepEqual(
        copies.map((e) => e.data),
        ['first'],
        'history holds the id once, with its first data',
      );
      assert.deepEqual(
        events.filter((e) => e.id === second.body).map((e) => e.data),
        ['second'],
        'the second update is kept under the hub id',
      );
      assert.equal(events.at(-1)?.id, after.body);
    } finally {
      resumed.close();
    }
  });
});

describe('bad inputs: publish flood', () => {
  test('a flood of publishes from one client: 429 with Retry-After past the configured rate', async () => {
    // The hub's clock is held still: no token refills during the flood however slow the machine
    // is, so exactly the burst passes (not "at least 10 of 20 within 5 s").
    const T0 = Date.now();
    const fx = await startHub({
      subscriptions: false,
      now: () => T0,
      limits: { publishRatePerSecond: 1, publishBurst: 5 },
    });
    const sub = await SseReader.open(`${fx.url}?match=*`);
    try {
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof answerOf>> | undefined;
      for (let i = 0; i < 20; i++) {
        const res = await fetch(fx.url, {
          method: 'POST',
          headers: FORM,
          body: formBody({ topic: TOPIC, data: `f${i}` }),
        });
        statuses.push(res.status);
        if (res.status === 429) limited = await answerOf(res);
        else await res.text();
      }
      assert.deepEqual(
        statuses,
        [...Array(5).fill(200), ...Array(15).fill(429)],
        'the burst passes, then every publish is 429',
      );
      assert.ok(limited !== undefined, 'a 429 answer was kept to check');
      assertProblem(limited, 'publish_rate_limited', { retryAfter: true });
      // Only the accepted publishes reached the subscriber: a sentinel published in-process (not
      // rate limited) after the flood is delivered after anything the flood dispatched.
      const sentinel = await fx.hub.publish({ topics: [TOPIC], data: 'sentinel' });
      const before = await sub.waitForId(sentinel, 15_000);
      assert.deepEqual(
        before.map((e) => e.data),
        ['f0', 'f1', 'f2', 'f3', 'f4'],
        'exactly the accepted publishes were delivered',
      );
      // Another client (or the hub itself) is not limited by this one.
      assert.equal((await fetch(`http://127.0.0.1:${fx.port}/healthz`)).status, 200);
    } finally {
      sub.close();
      await fx.close();
    }
  });
});

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

async function waitForData(reader: SseReader, data: string, timeoutMs = 15_000) {
  await reader.waitForEvent((e) => e.data === data, `an event with data ${data}`, timeoutMs);
  return reader.events;
}
