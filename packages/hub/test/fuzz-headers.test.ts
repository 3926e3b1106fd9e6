/**
 * Property-based fuzzing of request heads (fast-check), on raw loopback sockets: random methods,
 * paths, header names and values (control bytes, non-ASCII, duplicates, huge), conflicting
 * Content-Length / Transfer-Encoding, random bodies. Properties: never a 5xx and never a stack
 * trace, every error a problem with its code's status, the hub keeps answering /healthz, and
 * honest subscribers (granted and anonymous) stay connected with an uncorrupted stream: no fuzzed
 * request carries a valid publisher token, so they must receive only the fences.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { rawExchange } from './support/raw-http.js';
import { publisherToken, SIGNED_HUB, subscriberToken } from './support/sign-token.js';
import { SseReader } from './support/sse-reader.js';
import { assertWellFormedError, StreamOracle, type Watched } from './support/stream-oracle.js';

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'OPTIONS') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'PUT',
      'DELETE',
      'HEAD',
      'PATCH',
      'CONNECT',
      'TRACE',
      'get',
      'PRI',
      'M-SEARCH',
    ),
  },
);
const path = fc.constantFrom(
  '/.well-known/mercure',
  '/.well-known/mercure?match=*',
  '/.well-known/mercure?match=https%3A%2F%2Fexample.com%2Fx&lastEventID=earliest',
  '/.well-known/mercure/',
  '/.well-known/mercure/subscriptions',
  '/.well-known/mercure/subscriptions/Exact/x/y',
  '/healthz',
  '/readyz',
  '/metrics',
  '/',
  '*',
  'http://evil.example/.well-known/mercure?match=*',
  '/.well-known/mercure?match=%',
  '//.well-known/mercure',
  '/%00',
  '/../../etc/passwd',
);
const HEADER_NAMES = [
  'Content-Type',
  'Content-Length',
  'Transfer-Encoding',
  'Authorization',
  'Cookie',
  'Origin',
  'Referer',
  'Last-Event-ID',
  'Accept',
  'X-Forwarded-For',
  'Host',
  'Connection',
  'Expect',
  'Access-Control-Request-Method',
  'Access-Control-Request-Headers',
];
const headerName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...HEADER_NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) },
);
const headerValue = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/x-www-form-urlencoded',
      'text/event-stream',
      '0',
      '5',
      '-1',
      '1e3',
      '99999999999999999999',
      'chunked',
      'gzip, chunked',
      'chunked, gzip',
      'Bearer garbage',
      'Bearer a.b.c',
      'mercureAuthorization=a.b.c',
      'https://evil.example',
      'null',
      'earliest',
      'close',
      'keep-alive',
      'upgrade',
      '100-continue',
      '',
    ),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'v'.repeat(n)) },
);
const body = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    'topic=https%3A%2F%2Fexample.com%2Fx&data=fuzz',
    '0\r\n\r\n',
    '5\r\ntopic\r\n0\r\n\r\n',
    'zz\r\n',
  ),
  fc.string({ maxLength: 60 }),
);

describe('fuzz: request heads', () => {
  let fx: HubFixture;
  let auth: Record<string, string>;
  let watched: Watched[];
  const oracle = new StreamOracle();

  before(async () => {
    fx = await startHub({
      ...SIGNED_HUB,
      subscriptions: false,
      corsOrigins: ['https://app.example'],
      limits: { headersTimeoutMs: 2000, requestTimeoutMs: 3000 },
    });
    auth = { Authorization: `Bearer ${await publisherToken()}` };
    const granted = await SseReader.open(`${fx.url}?match=*`, {
      Authorization: `Bearer ${await subscriberToken()}`,
    });
    const anonymous = await SseReader.open(`${fx.url}?match=*`);
    watched = [
      { name: 'granted *', reader: granted, sees: () => true },
      { name: 'anonymous *', reader: anonymous, sees: (a) => !a.private },
    ];
  });

  after(async () => {
    for (const w of watched) w.reader.close();
    await fx.close();
  });

  test(`${NUM_RUNS} random request heads: never a 5xx, honest streams intact`, {
    timeout: 240_000,
  }, async (t) => {
    let runs = 0;
    let answered = 0;
    let awaitingBody = 0;
    let closedUnanswered = 0;
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
        body,
        async (m, p, headers, b) => {
          runs++;
          const head = [
            `${m} ${p} HTTP/1.1`,
            'Host: 127.0.0.1',
            ...headers.map(([k, v]) => `${k}: ${v}`),
            'Connection: close',
          ];
          // A head that names a body length or a coding may leave the hub waiting for the rest of
          // a body (until the 3 s request timeout): those get 400 ms, and if unanswered are
          // counted, not checked. Every other request must be answered or closed, however slowly
          // (a generous deadline, not a skip).
          const promisesBody = headers.some(([k]) => /^(content-length|transfer-encoding)$/i.test(k));
          const res = await rawExchange(fx.port, [Buffer.from(`${head.join('\r\n')}\r\n\r\n${b}`, 'utf8')], {
            timeoutMs: promisesBody ? 400 : 10_000,
            // Streams never end; a response head is enough for them.
            stopWhen: (r) =>
              r.status !== undefined &&
              (r.status === 200 ||
                r.status === 204 ||
                Buffer.byteLength(r.body) >= Number(r.headers['content-length'] ?? 0)),
          });
          if (res.status === undefined) {
            // No answer is allowed only while the hub still waits for a body it was promised, or
            // when the hub closed the connection (node:http closes on what it cannot answer).
            assert.ok(
              promisesBody || res.closed,
              `no answer in 10 s and still open: ${head.join(' | ').slice(0, 200)}`,
            );
            if (promisesBody && !res.closed) awaitingBody++;
            else closedUnanswered++;
            return;
          }
          answered++;
          assert.ok(
            !/\bat .+\(.+:\d+:\d+\)|node:internal/.test(res.raw.toString('latin1')),
            'no stack trace',
          );
          assert.ok(res.status < 500, `never a 5xx: ${res.status} ${res.body.slice(0, 200)}`);
          // Every error is a problem (a HEAD answer has no body to carry it).
          if (res.status >= 400 && m !== 'HEAD')
            assertWellFormedError(res.status, res.headers['content-type'], res.body);
        },
      ),
      { numRuns: NUM_RUNS, includeErrorInReport: true },
    );
    // No time limit on the property: the runs named in the title are the runs checked.
    assert.ok(runs >= NUM_RUNS, `${runs} runs checked of ${NUM_RUNS} named`);
    const tally = `${answered} answered, ${awaitingBody} awaiting a promised body, ${closedUnanswered} closed unanswered, of ${runs}`;
    t.diagnostic(tally);
    assert.ok(answered > runs / 2, `most requests answered: ${tally}`);
    assert.ok(closedUnanswered < runs / 10, `few closed without an answer: ${tally}`);
    const health = await fetch(`http://127.0.0.1:${fx.port}/healthz`, {
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(health.status, 200, 'the hub keeps answering');
    await oracle.check(fx, auth, watched);
  });
});
