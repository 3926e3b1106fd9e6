import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { describe, it } from 'node:test';
import { createHub, type HubOptions } from '@tidings/hub';
import { H2Sse, h2Session } from './support/h2-sse.js';
import { RawSseReader } from './support/raw-sse-reader.js';
import { metric } from './support/read-metrics.js';
import { nowSeconds, SIGNED_HUB, subscriberToken } from './support/sign-token.js';

const TOPIC = 'https://example.com/h2/stream';
const PATH = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;

async function h2Hub(options: HubOptions = {}) {
  const hub = await createHub({
    heartbeatMs: 0,
    ...options,
    limits: { publishRatePerSecond: 0, ...options.limits },
  });
  const { port } = await hub.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const session = await h2Session(base);
  return {
    hub,
    base,
    session,
    async close() {
      session.destroy();
      await hub.close();
    },
  };
}

describe('SSE on an HTTP/2 stream: every behaviour of an HTTP/1.1 stream', { timeout: 60_000 }, () => {
  it('the head is sent at once, before any event; events and heartbeats follow', async () => {
    const h = await h2Hub({ heartbeatMs: 100 });
    try {
      const sse = new H2Sse(h.session, PATH);
      await sse.opened();
      assert.equal(sse.status, 200);
      assert.equal(sse.headers!['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(sse.headers!['cache-control'], 'no-cache, private');
      assert.equal(sse.headers!.connection, undefined, 'no connection-specific field (RFC 9113 8.2.2)');
      await sse.until(() => sse.text.includes(':\n\n'), 'a heartbeat comment');
      const id = await h.hub.publish({ topics: [TOPIC], data: 'one' });
      await sse.until(() => sse.text.includes(`id: ${id}\ndata: one\n\n`), 'the event');
    } finally {
      await h.close();
    }
  });

  it('the maximum lifetime ends the stream cleanly (END_STREAM), counted as a lifetime drop', async () => {
    const h = await h2Hub({ limits: { maxStreamLifetimeMs: 300, lifetimeJitter: 0.5 } });
    try {
      const sse = new H2Sse(h.session, PATH);
      await sse.opened();
      const end = await sse.ended;
      assert.deepEqual(end, { clean: true, rstCode: 0 }, 'a clean end EventSource reconnects after');
      assert.equal(await metric(h.base, 'tidings_dropped_subscribers_total', '{reason="lifetime"}'), 1);
      assert.equal(h.session.closed, false, 'the connection stays for the next stream');
    } finally {
      await h.close();
    }
  });

  it("the stream ends at its token's exp", async () => {
    const h = await h2Hub({ ...SIGNED_HUB });
    try {
      const token = await subscriberToken([TOPIC], { claims: { exp: nowSeconds() + 2 } });
      const sse = new H2Sse(h.session, PATH, { authorization: `Bearer ${token}` });
      await sse.opened();
      assert.equal(sse.status, 200);
      const end = await sse.ended;
      assert.equal(end.clean, true, 'ended cleanly at exp');
      assert.equal(await metric(h.base, 'tidings_dropped_subscribers_total', '{reason="token_expired"}'), 1);
    } finally {
      await h.close();
    }
  });

  it('a token in the cookie reaches private updates; CORS headers are on the stream', async () => {
    const h = await h2Hub({ ...SIGNED_HUB, corsOrigins: ['https://app.example'] });
    try {
      const token = await subscriberToken([TOPIC]);
      const sse = new H2Sse(h.session, PATH, {
        cookie: `other=1; mercureAuthorization=${token}`,
        origin: 'https://app.example',
      });
      await sse.opened();
      assert.equal(sse.status, 200);
      assert.equal(sse.headers!['access-control-allow-origin'], 'https://app.example');
      assert.equal(sse.headers!['access-control-allow-credentials'], 'true');
      const id = await h.hub.publish({ topics: [TOPIC], data: 'secret', private: true });
      await sse.until(() => sse.text.includes(`id: ${id}\ndata: secret\n\n`), 'the private update');
    } finally {
      await h.close();
    }
  });

  it('the per-client cap counts streams, not connections', async () => {
    const h = await h2Hub({ limits: { maxSubscribersPerClient: 2 } });
    try {
      const a = new H2Sse(h.session, PATH);
      const b = new H2Sse(h.session, PATH);
      await Promise.all([a.opened(), b.opened()]);
      const c = new H2Sse(h.session, PATH);
      await c.opened();
      assert.deepEqual([a.status, b.status, c.status], [200, 200, 429]);
      await c.until(() => c.text.includes('too_many_subscribers_client'), 'the problem body');
      assert.equal(h.hub.subscriberCount, 2);
    } finally {
      await h.close();
    }
  });

  it('metrics: streams open by protocol, HTTP/2 connections', async () => {
    const h = await h2Hub();
    try {
      const a = new H2Sse(h.session, PATH);
      const b = new H2Sse(h.session, PATH);
      const h1 = await RawSseReader.open(`${h.base}${PATH}`);
      await Promise.all([a.opened(), b.opened()]);
      assert.equal(h1.status, 200);
      assert.equal(
        await metric(h.base, 'tidings_streams', '{protocol="h2"}'),
        2,
        'two streams on one h2 connection',
      );
      assert.equal(await metric(h.base, 'tidings_streams', '{protocol="http/1.1"}'), 1);
      assert.equal(await metric(h.base, 'tidings_h2_sessions'), 1);
      h1.close();
    } finally {
      await h.close();
    }
  });

  it('streams on overlapping selectors get exactly their bytes, in order, from coalesced turns', async () => {
    // Many updates dispatched in one event-loop turn: a stream that had all of them is written
    // the turn's shared concatenation of frames, one that missed some its own.
    const h = await h2Hub();
    try {
      const topic = (t: string) => `${TOPIC}/${t}`;
      const path = (...ts: string[]) =>
        `/.well-known/mercure?${ts.map((t) => `topic=${encodeURIComponent(topic(t))}`).join('&')}`;
      const streams = {
        a: new H2Sse(h.session, path('a')),
        b: new H2Sse(h.session, path('b')),
        ab: new H2Sse(h.session, path('a', 'b')),
        all: new H2Sse(h.session, path('a', 'b', 'c')),
      };
      await Promise.all(Object.values(streams).map((s) => s.opened()));
      const plan = Array.from({ length: 80 }, (_, i) => [['a'], ['b'], ['a', 'b'], ['c']][i % 4]!);
      await Promise.all(
        plan.map((ts, i) => h.hub.publish({ topics: ts.map(topic), data: `u${i}`, id: `u${i}` })),
      );
      const want = (pick: (ts: string[]) => boolean) =>
        plan.flatMap((ts, i) => (pick(ts) ? [`id: u${i}\ndata: u${i}\n\n`] : [])).join('');
      const expected = {
        a: want((ts) => ts.includes('a')),
        b: want((ts) => ts.includes('b')),
        ab: want((ts) => ts.includes('a') || ts.includes('b')),
        all: want(() => true),
      };
      for (const [name, sse] of Object.entries(streams)) {
        const events = expected[name as keyof typeof expected];
        // After the preamble (`retry:`), only the updates.
        const body = () => sse.text.slice(sse.text.indexOf('\n\n') + 2);
        await sse.until(() => body().length >= events.length, `${name}'s updates`);
        assert.equal(body(), events, `${name}: byte-exact, in order`);
      }
    } finally {
      await h.close();
    }
  });

  it('updates in consecutive turns go out in one DATA frame; a lone update is not held back', async () => {
    const h = await h2Hub();
    try {
      const sse = new H2Sse(h.session, PATH);
      await sse.opened();
      await sse.until(() => sse.text.includes('retry:'), 'the preamble');
      const before = sse.frames.length;
      await h.hub.publish({ topics: [TOPIC], data: 'one', id: 'one' });
      // The next turn: the stream's write of the first is held until this one's flush.
      await new Promise((resolve) => setImmediate(resolve));
      await h.hub.publish({ topics: [TOPIC], data: 'two', id: 'two' });
      await sse.until(() => sse.text.includes('data: two'), 'both updates');
      const frames = sse.frames.slice(before).map((f) => f.text);
      assert.deepEqual(frames, ['id: one\ndata: one\n\nid: two\ndata: two\n\n'], 'one DATA frame');
      // Nothing follows: the held write is released by a flush of its own.
      await h.hub.publish({ topics: [TOPIC], data: 'three', id: 'three' });
      await sse.until(() => sse.text.includes('data: three'), 'a lone update');
    } finally {
      await h.close();
    }
  });

  it('graceful shutdown: GOAWAY on the connection, then the stream ends cleanly', async () => {
    const h = await h2Hub();
    try {
      const sse = new H2Sse(h.session, PATH);
      await sse.opened();
      const goaway = new Promise<number>((resolve) =>
        h.session.once('goaway', (code: number) => resolve(code)),
      );
      const closing = h.hub.close();
      assert.equal(
        await goaway,
        constants.NGHTTP2_NO_ERROR,
        'GOAWAY with NO_ERROR: open new streams elsewhere',
      );
      assert.deepEqual(await sse.ended, { clean: true, rstCode: 0 });
      await closing;
    } finally {
      await h.close();
    }
  });
});
