/**
 * bad-inputs.md, "Connections": slowloris headers and trickled publish bodies are cut by the
 * header and request timeouts, while an SSE stream outlives both; oversized headers get 431;
 * a malformed request pipelined behind a stream never corrupts that stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { bytewise, connectTo, rawExchange } from './support/raw-http.js';
import { SseReader } from './support/sse-reader.js';

const HEADERS_TIMEOUT = 500;
const REQUEST_TIMEOUT = 1000;
/** How late a timeout may fire and still count as enforced. */
const SLACK = 1500;

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
        const res = await rawExchange(fx.port, bytewise(request), {
          gapMs: 50,
          timeoutMs: HEADERS_TIMEOUT + SLACK + 2000,
        });
        assert.ok(res.closed, `the connection was closed (after ${res.elapsedMs} ms)`);
        assert.ok(res.elapsedMs <= HEADERS_TIMEOUT + SLACK, `cut after ${res.elapsedMs} ms`);
        assert.ok(res.elapsedMs < request.length * 50, 'before the headers could complete');
        if (res.status !== undefined) assertProblem(res, 'request_timeout');
      }
      // A connection that never sends a byte is closed by the same timeout.
      const idle = await rawExchange(fx.port, [], { timeoutMs: HEADERS_TIMEOUT + SLACK + 2000 });
      assert.ok(
        idle.closed && idle.elapsedMs <= HEADERS_TIMEOUT + SLACK,
        `idle closed after ${idle.elapsedMs} ms`,
      );
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
      const res = await rawExchange(fx.port, [head, ...bytewise(body)], {
        gapMs: 50,
        timeoutMs: REQUEST_TIMEOUT + SLACK + 2000,
      });
      assert.ok(res.closed, 'the connection was closed');
      assert.ok(res.elapsedMs <= REQUEST_TIMEOUT + SLACK, `cut after ${res.elapsedMs} ms`);
      if (res.status !== undefined) assertProblem(res, 'request_timeout');
      await fx.publish({ topic: 'https://example.com/t', data: 'after' });
      const events = await honest.waitFor(1);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(
        events.map((e) => e.data),
        ['after'],
        'the trickled publish dispatched nothing',
      );
    } finally {
      honest.close();
    }
  });

  test('an SSE stream stays open longer than both timeouts, and keeps delivering', async () => {
    const reader = await SseReader.open(`${fx.url}?match=*`);
    try {
      const wait = HEADERS_TIMEOUT + REQUEST_TIMEOUT + SLACK;
      await new Promise((r) => setTimeout(r, wait));
      await fx.publish({ topic: 'https://example.com/t', data: `after ${wait} ms` });
      assert.equal((await reader.waitFor(1, 2000))[0]?.data, `after ${wait} ms`);
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

  test('a malformed request pipelined behind a stream never writes into that stream', async () => {
    const socket = await connectTo(fx.port);
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => {});
    try {
      socket.write('GET /.well-known/mercure?match=* HTTP/1.1\r\nHost: x\r\n\r\n');
      const deadline = Date.now() + 3000;
      while (!Buffer.concat(chunks).includes('\r\n\r\n') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      socket.write('BROKEN\x01 / HTTP/1.1\r\n\r\n');
      await new Promise((r) => setTimeout(r, 200));
      await fx.publish({ topic: 'https://example.com/t', data: 'pipelined' }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      const text = Buffer.concat(chunks).toString('latin1');
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
