/**
 * Issue 5, memory per idle subscriber: plain subscribe heads are served on the raw socket
 * (`routes/stream-intake.ts`), without node:http's per-request objects; everything else reaches
 * node:http with its bytes and is answered exactly as before. Issue 12: a plain subscribe that
 * is refused is answered on the raw socket too, with the bytes node:http writes for the same
 * request, and the connection's next request is read again.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HistoryRead,
  type HistoryStore,
  HubError,
  LocalEngine,
  MemoryStore,
  type Update,
} from '@tidings/hub';
import { startCli } from './support/cli-process.js';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { connectTo, parseResponse, type RawResponse } from './support/raw-http.js';
import { metric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/intake';
const QUERY = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;
const ORIGIN = 'https://app.example';

/** A raw connection and everything it received. */
class Conn {
  readonly chunks: Buffer[] = [];
  closed = false;
  readonly opened = performance.now();

  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => this.chunks.push(b));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async open(port: number): Promise<Conn> {
    return new Conn(await connectTo(port));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  get response(): RawResponse {
    return parseResponse(Buffer.concat(this.chunks), this.closed, performance.now() - this.opened);
  }

  async until(ok: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!ok(this.text)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(this.text)}`);
      await sleep(5);
    }
    return this.text;
  }

  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await sleep(5);
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function get(path: string, headers: string[] = []): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers, '', ''].join('\r\n');
}

/** A whole response with a Content-Length body arrived. */
function complete(r: RawResponse): boolean {
  return r.status !== undefined && Buffer.byteLength(r.body) >= Number(r.headers['content-length'] ?? 0);
}

/** The response head without its Date line (the only part that may differ between two answers). */
function headOf(text: string): string {
  return text
    .slice(0, text.indexOf('\r\n\r\n'))
    .split('\r\n')
    .filter((l) => !l.startsWith('Date: '))
    .join('\r\n');
}

/** Counts the subscribe requests node:http parsed (the raw path emits no 'request'). */
function countGets(fx: HubFixture): { readonly n: number } {
  const count = { n: 0 };
  fx.hub.server.prependListener('request', (req) => {
    if (req.method === 'GET' && req.url?.startsWith('/.well-known/mercure') === true) count.n++;
  });
  return count;
}

describe('stream intake', () => {
  let fx: HubFixture;
  let gets: { readonly n: number };

  before(async () => {
    fx = await startHub({ subscriptions: false, corsOrigins: [ORIGIN] });
    gets = countGets(fx);
  });
  after(() => fx.close());

  test('a plain subscribe never reaches node:http, and gets the head and frames node:http would write', async () => {
    const headers = [`Origin: ${ORIGIN}`, 'Accept: text/event-stream', 'Last-Event-ID: earliest'];
    const raw = await Conn.open(fx.port);
    // A repeated header is one the intake leaves to node:http.
    const viaHttp = await Conn.open(fx.port);
    try {
      const before = gets.n;
      raw.socket.write(get(QUERY, headers));
      await raw.until((t) => t.includes('retry: '), 'the raw stream');
      assert.equal(gets.n, before, 'node:http parsed no request');
      viaHttp.socket.write(get(QUERY, [...headers, 'X-Twice: 1', 'X-Twice: 2']));
      await viaHttp.until((t) => t.includes('retry: '), 'the node:http stream');
      assert.equal(gets.n, before + 1);

      assert.equal(headOf(raw.text), headOf(viaHttp.text));
      assert.match(raw.text, /\r\nAccess-Control-Allow-Origin: https:\/\/app\.example\r\n/);
      assert.match(raw.text, /\r\nMercure-Last-Event-ID: earliest\r\n/);
      assert.match(raw.text, /\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/);

      const mark = [raw.chunks.length, viaHttp.chunks.length] as const;
      assert.equal((await fx.publish({ topic: TOPIC, data: 'both', id: 'b-1' })).status, 200);
      const frame = '\r\nid: b-1\ndata: both\n\n\r\n';
      await raw.until((t) => t.endsWith(frame), 'the update on the raw stream');
      await viaHttp.until((t) => t.endsWith(frame), 'the update on the node:http stream');
      assert.deepEqual(
        Buffer.concat(raw.chunks.slice(mark[0])),
        Buffer.concat(viaHttp.chunks.slice(mark[1])),
        'the same chunk bytes',
      );
    } finally {
      raw.destroy();
      viaHttp.destroy();
    }
  });

  test('heads it does not judge reach node:http with every byte: split, pipelined, Connection: close', async () => {
    const split = await Conn.open(fx.port);
    const pipelined = await Conn.open(fx.port);
    const closing = await Conn.open(fx.port);
    const old = await Conn.open(fx.port);
    try {
      const before = gets.n;
      const head = get(QUERY);
      split.socket.write(head.slice(0, 20));
      await sleep(50);
      split.socket.write(head.slice(20));
      pipelined.socket.write(head + get('/healthz'));
      closing.socket.write(get(QUERY, ['Connection: close']));
      old.socket.write(`GET ${QUERY} HTTP/1.0\r\nHost: x\r\n\r\n`);
      for (const c of [split, pipelined, closing]) {
        await c.until((t) => t.includes('retry: '), 'a stream');
        assert.equal(c.response.status, 200);
      }
      // HTTP/1.0 is the intake's too (issue 10): a close-delimited stream (wire-http10.test.ts).
      await old.until((t) => t.includes('retry: '), 'a stream to HTTP/1.0');
      assert.equal(old.response.status, 200, 'HTTP/1.0 is served');
      assert.equal(gets.n, before + 3, 'the other three parsed by node:http');
      assert.equal((await fx.publish({ topic: TOPIC, data: 'split' })).status, 200);
      for (const c of [split, pipelined, closing, old])
        await c.until((t) => t.includes('data: split\n'), 'the update');
    } finally {
      for (const c of [split, pipelined, closing, old]) c.destroy();
    }
  });

  test("a refused subscribe is answered on the raw socket with node:http's bytes; the connection stays usable", async () => {
    const conn = await Conn.open(fx.port);
    // A repeated header is one the intake leaves to node:http: the same refusal, node:http's way.
    const viaHttp = await Conn.open(fx.port);
    try {
      const before = gets.n;
      conn.socket.write(get('/.well-known/mercure', [`Origin: ${ORIGIN}`]));
      await conn.until(() => complete(conn.response), 'the problem');
      assertProblem(conn.response, 'missing_selector', { status: 400 });
      assert.equal(conn.response.headers['access-control-allow-origin'], ORIGIN);
      assert.equal(gets.n, before, 'answered without node:http');
      viaHttp.socket.write(get('/.well-known/mercure', [`Origin: ${ORIGIN}`, 'X-Twice: 1', 'X-Twice: 2']));
      await viaHttp.until(() => complete(viaHttp.response), 'the problem from node:http');
      assert.equal(gets.n, before + 1);
      assert.equal(headOf(conn.text), headOf(viaHttp.text), 'the same head');
      assert.equal(conn.response.body, viaHttp.response.body, 'the same problem document');

      const mark = conn.text.length;
      conn.socket.write(get('/healthz'));
      await conn.until((t) => t.slice(mark).endsWith('ok\n\r\n0\r\n\r\n'), '/healthz on the same connection');
      assert.match(conn.text.slice(mark), /^HTTP\/1\.1 200 OK\r\n/);
      // A subscribe on the kept connection is the intake's again: a stream, node:http not involved.
      const again = conn.text.length;
      conn.socket.write(get(QUERY));
      await conn.until((t) => t.slice(again).includes('retry: '), 'a stream on the same connection');
      assert.equal(gets.n, before + 2, 'only /healthz and the repeated-header refusal reached node:http');
    } finally {
      conn.destroy();
      viaHttp.destroy();
    }
  });

  test('a refusal that closes its connection (caps: Connection: close) is answered, then the connection closes', async () => {
    const capped = await startHub({ subscriptions: false, limits: { maxSubscribers: 0 } });
    const conn = await Conn.open(capped.port);
    const viaHttp = await Conn.open(capped.port);
    try {
      conn.socket.write(get(QUERY));
      assert.ok(await conn.closedWithin(3000), 'the hub closed the connection');
      assertProblem(conn.response, 'too_many_subscribers', { status: 503 });
      assert.equal(conn.response.headers.connection, 'close');
      assert.match(conn.response.headers['retry-after'] ?? '', /^[1-5]$/);
      viaHttp.socket.write(get(QUERY, ['X-Twice: 1', 'X-Twice: 2']));
      assert.ok(await viaHttp.closedWithin(3000), 'node:http closed its connection too');
      const withoutRetry = (t: string) => headOf(t).replace(/\r\nRetry-After: \d/, '');
      assert.equal(
        withoutRetry(conn.text),
        withoutRetry(viaHttp.text),
        'the same head but the jittered Retry-After',
      );
    } finally {
      conn.destroy();
      viaHttp.destroy();
      await capped.close();
    }
  });

  test('nothing may follow a stream head: a request sent behind it closes the connection, unanswered', async () => {
    const conn = await Conn.open(fx.port);
    try {
      conn.socket.write(get(QUERY));
      await conn.until((t) => t.includes('retry: '), 'the stream');
      const streams = fx.hub.subscriberCount;
      conn.socket.write(get('/healthz'));
      assert.ok(await conn.closedWithin(15_000), 'the connection was closed');
      assert.deepEqual(conn.text.match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200']);
      assert.ok(!conn.text.includes('0\r\n\r\n'), 'no terminating chunk: a reset');
      assert.equal(fx.hub.subscriberCount, streams - 1);
    } finally {
      conn.destroy();
    }
  });
});

describe('stream intake: endings and deadlines', () => {
  test('a graceful end writes the terminating chunk, then closes the connection', async () => {
    const fx = await startHub({
      subscriptions: false,
      limits: { maxStreamLifetimeMs: 300, lifetimeJitter: 0 },
    });
    const conn = await Conn.open(fx.port);
    try {
      conn.socket.write(get(QUERY));
      await conn.until((t) => t.includes('retry: '), 'the stream');
      assert.ok(await conn.closedWithin(15_000), 'closed by the hub');
      assert.ok(conn.text.endsWith('\r\n0\r\n\r\n'), JSON.stringify(conn.text.slice(-40)));
      assert.equal(await metric(fx.url, 'tidings_dropped_subscribers_total', '{reason="lifetime"}'), 1);
    } finally {
      conn.destroy();
      await fx.close();
    }
  });

  test('Hub.close() ends raw streams with the terminating chunk', async () => {
    const fx = await startHub({ subscriptions: false });
    const conns = await Promise.all(Array.from({ length: 5 }, () => Conn.open(fx.port)));
    for (const c of conns) c.socket.write(get(QUERY));
    for (const c of conns) await c.until((t) => t.includes('retry: '), 'the stream');
    // Past its 5 s deadline close() forces every connection shut (closeAllConnections): it must
    // not come to that. Watched on the call itself, not on a stopwatch a busy machine stretches.
    const server = fx.hub.server;
    const closeAll = server.closeAllConnections.bind(server);
    let forced = false;
    server.closeAllConnections = () => {
      forced = true;
      closeAll();
    };
    await fx.close();
    assert.equal(forced, false, 'close() did not wait for the deadline');
    for (const c of conns) {
      assert.ok(await c.closedWithin(15_000), 'the stream was closed by close()');
      assert.ok(c.text.endsWith('\r\n0\r\n\r\n'), 'the stream ended with the last chunk');
    }
  });

  test('the header deadline counts from the connection, also when the head is handed to node:http', async () => {
    const HEADERS_TIMEOUT = 1000;
    const fx = await startHub({ limits: { headersTimeoutMs: HEADERS_TIMEOUT } });
    const conn = await Conn.open(fx.port);
    try {
      // Silent for most of the deadline, then a slowloris: node:http's own clock would start
      // at the first byte and allow another full second.
      const opened = performance.now();
      await sleep(800);
      // Measured, not assumed: a busy machine makes the sleep longer.
      const firstByteMs = performance.now() - opened;
      for (const b of 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n') {
        if (conn.closed) break;
        conn.socket.write(b);
        await sleep(50);
      }
      assert.ok(await conn.closedWithin(15_000), 'the slow request was closed');
      const elapsed = conn.response.elapsedMs;
      // Closed before a clock started at the first byte would have allowed (firstByte + timeout).
      assert.ok(
        elapsed < firstByteMs + HEADERS_TIMEOUT,
        `closed ${elapsed.toFixed(0)} ms after connecting, first byte at ${firstByteMs.toFixed(0)} ms`,
      );
      assertProblem(conn.response, 'request_timeout');
    } finally {
      conn.destroy();
      await fx.close();
    }
  });

  test("a head over node:http's header size limit is left to node:http (431), whatever the limit", async () => {
    const cli = await startCli(['--anonymous', '--transport', 'memory'], {
      NODE_OPTIONS: '--max-http-header-size=600',
    });
    const big = await Conn.open(cli.port);
    const small = await Conn.open(cli.port);
    try {
      big.socket.write(get(QUERY, [`X-Pad: ${'p'.repeat(700)}`]));
      await big.until(() => complete(big.response), 'an answer');
      assertProblem(big.response, 'header_too_large');
      small.socket.write(get(QUERY, [`X-Pad: ${'p'.repeat(100)}`]));
      await small.until((t) => t.includes('retry: '), 'the stream');
      assert.equal(small.response.status, 200);
    } finally {
      big.destroy();
      small.destroy();
      await cli.stop();
    }
  });

  test('history unavailable while resuming: the raw path answers 503 store_unavailable, counted once', async () => {
    const store = new FailingReads(new MemoryStore({ size: 10 }));
    const fx = await startHub({ subscriptions: false, engine: new LocalEngine(store) });
    const gets = countGets(fx);
    const conn = await Conn.open(fx.port);
    try {
      conn.socket.write(get(QUERY, ['Last-Event-ID: earliest']));
      await conn.until(() => complete(conn.response), 'the problem');
      assertProblem(conn.response, 'store_unavailable', { status: 503 });
      assert.equal(gets.n, 0, 'answered without node:http');
      assert.equal(fx.hub.subscriberCount, 0);
      assert.equal(await metric(fx.url, 'tidings_http_errors_total', '{code="store_unavailable"}'), 1);
      assert.equal(await metric(fx.url, 'tidings_subscriptions_opened_total'), 0);
      assert.equal(store.reads, 1, 'history read once');
    } finally {
      conn.destroy();
      await fx.close();
    }
  });

  test('a subscribe refused on the raw socket is answered there: its token is verified once', async () => {
    let verified = 0;
    const fx = await startHub({
      subscriptions: false,
      anonymous: false,
      authenticator: {
        async authenticate() {
          verified++;
          throw new HubError('invalid_token', 'this token is not valid');
        },
      },
    });
    const gets = countGets(fx);
    const conn = await Conn.open(fx.port);
    try {
      conn.socket.write(get(QUERY, ['Authorization: Bearer nope']));
      await conn.until(() => complete(conn.response), 'the problem');
      assert.equal(conn.response.status, 401);
      assert.equal(JSON.parse(conn.response.body).code, 'invalid_token');
      assert.equal(gets.n, 0, 'answered without node:http');
      assert.equal(verified, 1);
      // The same connection again: a new request is evaluated afresh.
      const mark = conn.text.length;
      conn.socket.write(get(QUERY, ['Authorization: Bearer nope']));
      await conn.until((t) => t.slice(mark).includes('invalid_token'), 'the second problem');
      assert.equal(verified, 2);
      assert.equal(gets.n, 0, 'the kept connection read by the intake again');
    } finally {
      conn.destroy();
      await fx.close();
    }
  });
});

/** A history whose reads fail, like a store that went away. */
class FailingReads implements HistoryStore {
  reads = 0;
  constructor(readonly inner: HistoryStore) {}
  append(update: Update): Promise<void> {
    return this.inner.append(update);
  }
  async readAfter(): Promise<HistoryRead> {
    this.reads++;
    throw new HubError('store_unavailable');
  }
  lastId(): Promise<string | undefined> {
    return this.inner.lastId();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
