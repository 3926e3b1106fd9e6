/**
 * bad-inputs.md, "Connections": slowloris headers and trickled publish bodies are cut by the
 * header and request timeouts, while an SSE stream outlives both; oversized headers get 431;
 * a malformed request pipelined behind a stream never corrupts that stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { waitUntil } from './support/quiet-watch.js';
import { bytewise, connectTo, rawExchange } from './support/raw-http.js';
import { SseReader } from './support/sse-reader.js';

const HEADERS_TIMEOUT = 500;
const REQUEST_TIMEOUT = 1000;
/**
 * How long we wait for a cut. Generous: a busy machine fires timers late. What shows the timeout
 * was enforced is that the cut came before the slow client could finish (it sends one byte
 * every 50 ms), and for a silent connection, long before node's 60 s default.
 */
const DEADLINE = 15_000;

describe('bad inputs: header and request timeouts', () => {
  let fx: HubFixture;

  before(async () => {
    fx = await startHub({
      subscriptions: false,
      limits: { headersTimeoutMs: HEADERS_TIMEOUT, requestTimeoutMs: REQUEST_TIMEOUT },
    });
  });
  after(() => fx.close());

  test('slowloris headers (one byte every 50 ms), or none at all, are cut by the header timeout', async () => {
    const honest = await SseReader.open(`${fx.url}?match=*`);
    try {
      for (const request of [
        'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n',
        `POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n${'X-Pad: 0123456789\r\n'.repeat(4)}\r\ntopic=a&d=1`,
      ]) {
        const res = await rawExchange(fx.port, bytewise(request), { gapMs: 50, timeoutMs: DEADLINE });
        assert.ok(res.closed, `the connection was closed (after ${res.elapsedMs} ms)`);
        assert.ok(res.elapsedMs >= HEADERS_TIMEOUT, `not before the header timeout: ${res.elapsedMs} ms`);
        assert.ok(res.sent < request.length, `cut before the headers could complete: ${res.sent} bytes sent`);
        if (res.status !== undefined) assertProblem(res, 'request_timeout');
      }
      // A connection that never sends a byte is closed by the same timeout.
      const idle = await rawExchange(fx.port, [], { timeoutMs: DEADLINE });
      assert.ok(idle.closed, `idle closed after ${idle.elapsedMs} ms`);
      // The stream was not affected and nothing was published.
      assert.equal(honest.events.length, 0);
      await fx.publish({ topic: 'https://example.com/t', data: 'after' });
      assert.equal((await honest.waitFor(1))[0]?.data, 'after');
    } finally {
      honest.close();
    }
  });

  test('a publish body trickled in is cut by the request timeout, and publishes nothing', async () => {
    const honest = await SseReader.open(`${fx.url}?match=*`);
    try {
      const body = `topic=${encodeURIComponent('https://example.com/t')}&data=${'z'.repeat(200)}`;
      const head = `POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
      const parts = [head, ...bytewise(body)];
      const res = await rawExchange(fx.port, parts, { gapMs: 50, timeoutMs: DEADLINE });
      assert.ok(res.closed, 'the connection was closed');
      assert.ok(res.elapsedMs >= REQUEST_TIMEOUT, `not before the request timeout: ${res.elapsedMs} ms`);
      assert.ok(
        res.sent < parts.length,
        `cut before the body could complete: ${res.sent} of ${parts.length} parts`,
      );
      if (res.status !== undefined) assertProblem(res, 'request_timeout');
      // A fence: delivery follows publish order, so had the trickled publish been dispatched it
      // would arrive before this one.
      await fx.publish({ topic: 'https://example.com/t', data: 'after' });
      assert.equal((await honest.waitFor(1))[0]?.data, 'after', 'the trickled publish dispatched nothing');
    } finally {
      honest.close();
    }
  });

  test('an SSE stream stays open longer than both timeouts, and keeps delivering', async () => {
    const reader = await SseReader.open(`${fx.url}?match=*`);
    try {
      const wait = HEADERS_TIMEOUT + REQUEST_TIMEOUT + 1500;
      await new Promise((r) => setTimeout(r, wait));
      await fx.publish({ topic: 'https://example.com/t', data: `after ${wait} ms` });
      assert.equal((await reader.waitFor(1, 15_000))[0]?.data, `after ${wait} ms`);
      assert.equal(fx.hub.subscriberCount, 1);
    } finally {
      reader.close();
    }
  });

  test('oversized headers: 431 header_too_large', async () => {
    for (const head of [
      `GET /.well-known/mercure?match=* HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(64 * 1024)}\r\n\r\n`,
      `GET /.well-known/mercure?match=* HTTP/1.1\r\nHost: x\r\n${'X-Many: 0123456789012345678901234567890123456789\r\n'.repeat(1000)}\r\n`,
      `GET /.well-known/mercure?match=${'m'.repeat(64 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `POST /.well-known/mercure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'t'.repeat(64 * 1024)}\r\n\r\n`,
    ]) {
      const res = await rawExchange(fx.port, [head]);
      assertProblem(res, 'header_too_large', { status: 431 });
    }
    assert.equal((await fetch(`http://127.0.0.1:${fx.port}/healthz`)).status, 200);
  });

  test('a malformed request pipelined behind a live stream closes it, never writes into it', async () => {
    const socket = await connectTo(fx.port);
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => {});
    try {
      socket.write('GET /.well-known/mercure?match=* HTTP/1.1\r\nHost: x\r\n\r\n');
      const received = () => Buffer.concat(chunks).toString('latin1');
      await waitUntil(() => received().includes('\r\n\r\n'), 'the stream head', 15_000);
      await waitUntil(() => fx.hub.subscriberCount === 1, 'the stream is registered', 15_000);
      // The stream delivers before the garbage: this is a live stream, not a test of nothing.
      assert.equal((await fx.publish({ topic: 'https://example.com/t', data: 'before' })).status, 200);
      await waitUntil(() => received().includes('data: before\n\n'), 'the update in the stream', 15_000);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('BROKEN\x01 / HTTP/1.1\r\n\r\n');
      // Nothing may follow a request whose response never ends: the hub closes that connection
      // (RFC 9112 9.6) rather than answer the garbage into the stream.
      await Promise.race([
        closed,
        new Promise((_, reject) => setTimeout(reject, 15_000, new Error('the connection stayed open'))),
      ]);
      await waitUntil(() => fx.hub.subscriberCount === 0, 'the stream is unregistered', 15_000);
      const text = received();
      assert.ok(
        text.endsWith('data: before\n\n\r\n'),
        `nothing written after the garbage: ${JSON.stringify(text.slice(-80))}`,
      );
      const statusLines = text.match(/HTTP\/1\.1 \d{3}/g) ?? [];
      assert.deepEqual(
        statusLines,
        ['HTTP/1.1 200'],
        `one response head only: ${JSON.stringify(text.slice(0, 400))}`,
      );
    } finally {
      socket.destroy();
    }
  });
});
