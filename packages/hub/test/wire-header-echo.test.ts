/**
 * Issue 10 items 1 and 2: event ids echoed into response heads. The attack bytes go over a raw
 * socket on both paths: a plain head is served by the raw intake (`routes/stream-intake.ts`), and
 * the same head with one header repeated (or any non-ASCII byte) is left to node:http.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { type RawResponse, rawExchange } from './support/raw-http.js';
import { SIGNED_TRUST, SUBSCRIBER_SECRET, subscriberToken } from './support/sign-token.js';

const TOPIC = 'https://example.com/echo';
/** U+010D and U+010A: their low bytes are CR and LF, which a Latin-1 head write kept. */
const ATTACK =
  'x\u010d\u010aSet-Cookie: stolen=1\u010d\u010aAccess-Control-Allow-Origin: https://evil.example';
const PATHS = { 'raw intake': [] as string[], 'node:http': ['X-Twice: 1', 'X-Twice: 2'] } as const;

function head(target: string, extra: readonly string[], lastEventId?: Buffer): Buffer {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', ...extra].join('\r\n');
  const parts: Buffer[] = [Buffer.from(`${lines}\r\n`, 'latin1')];
  if (lastEventId !== undefined)
    parts.push(Buffer.from('Last-Event-ID: ', 'latin1'), lastEventId, Buffer.from('\r\n'));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

const streamOpened = (r: RawResponse) =>
  r.status !== undefined && (r.status !== 200 || r.body.includes('retry:'));

/** The response head as lines, for exact checks. */
function headLines(r: RawResponse): string[] {
  const text = r.raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

describe('ids echoed in response heads', () => {
  let fx: HubFixture;
  before(async () => {
    fx = await startHub({ ...SIGNED_TRUST, subscriberKeys: [SUBSCRIBER_SECRET], anonymous: true });
    for (const id of [ATTACK, '日本-1', 'café-1', 'say "hi" 100%']) {
      const res = await fx.publish({ topic: TOPIC, data: id, id });
      assert.equal(res.status, 200, `publish of ${JSON.stringify(id)} is accepted: ${res.body}`);
    }
  });
  after(() => fx.close());

  for (const [path, extra] of Object.entries(PATHS)) {
    test(`a stored id with U+010D U+010A adds no header on the ${path} path`, async () => {
      const target = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}&lastEventID=${encodeURIComponent(ATTACK)}`;
      const r = await rawExchange(fx.port, [head(target, extra)], { stopWhen: streamOpened });
      assert.equal(r.status, 200, `a stream, not an error: ${r.raw.toString('latin1').slice(0, 300)}`);
      const lines = headLines(r);
      assert.ok(
        !lines.some((l) => /^set-cookie:/i.test(l)),
        `no injected Set-Cookie: ${JSON.stringify(lines)}`,
      );
      assert.ok(
        !lines.some((l) => /^access-control-allow-origin:/i.test(l)),
        `no injected CORS header: ${JSON.stringify(lines)}`,
      );
      for (const l of lines)
        assert.match(l, /^[\x20-\x7e]*$/, `every head line is visible ASCII: ${JSON.stringify(l)}`);
      const echoed = r.headers['mercure-last-event-id'] ?? '';
      assert.equal(decodeURIComponent(echoed), ATTACK, 'the id is found and carried percent-encoded');
      assert.equal(r.headers['last-event-id'], echoed, 'both header names carry the same value');
      assert.ok(r.body.includes('data: 日本-1'), 'the replay continues after the id');
    });
  }

  test('a UTF-8 Last-Event-ID header (as browsers send it) resumes, with no 500', async () => {
    const target = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;
    for (const id of ['日本-1', 'café-1']) {
      const r = await rawExchange(fx.port, [head(target, [], Buffer.from(id, 'utf8'))], {
        stopWhen: streamOpened,
      });
      assert.equal(r.status, 200, `resume from ${id}: ${r.raw.toString('latin1').slice(0, 300)}`);
      assert.equal(decodeURIComponent(r.headers['mercure-last-event-id'] ?? ''), id, `${id} is found`);
    }
    // A client on ByteString headers (undici) sends é as the single byte E9: still found.
    const r = await rawExchange(fx.port, [head(target, [], Buffer.from('café-1', 'latin1'))], {
      stopWhen: streamOpened,
    });
    assert.equal(
      decodeURIComponent(r.headers['mercure-last-event-id'] ?? ''),
      'café-1',
      'Latin-1 bytes still resume',
    );
  });

  test('the Active Subscriptions listing answers while the newest id is outside Latin-1 and has a quote', async () => {
    const id = '日本 "2"';
    assert.equal((await fx.publish({ topic: TOPIC, data: 'x', id })).status, 200, 'publish accepted');
    const token = await subscriberToken();
    const r = await rawExchange(
      fx.port,
      [head('/.well-known/mercure/subscriptions', [`Authorization: Bearer ${token}`])],
      {
        stopWhen: (x) =>
          x.status !== undefined && Buffer.byteLength(x.body) >= Number(x.headers['content-length'] ?? 1),
      },
    );
    assert.equal(r.status, 200, `the listing: ${r.raw.toString('latin1').slice(0, 300)}`);
    const etag = r.headers.etag ?? '';
    assert.match(etag, /^"[\x21\x23-\x7e]*"$/, `a valid entity-tag (RFC 9110 8.8.3): ${etag}`);
    assert.equal(decodeURIComponent(etag.slice(1, -1)), id, 'the ETag carries the newest id');
    // Mercure "Subscription API": the cursor is the Link's last-event-id (the body is plain JSON).
    const link = r.headers.link ?? '';
    assert.match(link, /^[\x20-\x7e]+$/, `the Link is visible ASCII: ${link}`);
    const cursor = /; last-event-id="((?:[^"\\]|\\.)*)"/.exec(link)?.[1]?.replace(/\\(.)/g, '$1');
    assert.equal(
      decodeURIComponent(cursor ?? ''),
      id,
      `the Link's last-event-id carries the newest id: ${link}`,
    );
  });

  test('ids with control characters are refused at publish, whatever their form', async () => {
    for (const id of ['a\rb', 'a\nb', 'a\0b', 'a\u0085b', 'a\u007fb', 'a\tb']) {
      const res = await fx.publish({ topic: TOPIC, data: 'x', id });
      assert.equal(res.status, 400, `${JSON.stringify(id)} is refused`);
      assert.match(res.body, /invalid_id/, `${JSON.stringify(id)}: ${res.body}`);
    }
    // A form cannot carry a lone surrogate (it becomes U+FFFD): in-process publishes can.
    await assert.rejects(
      fx.hub.publish({ topics: [TOPIC], id: 'a\ud800b' }),
      /lone surrogate/,
      'lone surrogate refused',
    );
  });
});
