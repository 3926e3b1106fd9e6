/**
 * Issue 6, reconnect storms: resumes take turns to replay history (limits.maxConcurrentReplays,
 * maxQueuedReplays; http/replay-gate.ts) on a running hub, and read only their topics' history
 * when they can (store/store.ts HistoryFilter). Nothing is lost by waiting: a waiting resume is
 * not registered yet, so what is published meanwhile reaches it from history.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { LocalEngine, MemoryStore } from '@tidings/hub';
import { assertProblem } from './support/expect-problem.js';
import { GatedStore } from './support/gated-store.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { RawSseReader } from './support/raw-sse-reader.js';
import { metric, waitForMetric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/storm';
const OTHER = 'https://example.com/elsewhere';
const QUERY = `?topic=${encodeURIComponent(TOPIC)}`;

/** Event ids in a raw SSE text, in order. */
function idsIn(text: string): string[] {
  return [...text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]!);
}

async function hubWith(store: GatedStore, limits: Record<string, number>): Promise<HubFixture> {
  return startHub({ engine: new LocalEngine(store), subscriptions: false, limits });
}

async function publishMany(fx: HubFixture, ids: string[], topic = TOPIC, data = 'x'): Promise<void> {
  for (const id of ids) assert.equal((await fx.publish({ topic, id, data })).status, 200);
}

/** Opens a resume without waiting for its answer (it may wait in the queue). */
function resume(fx: HubFixture, lastEventId: string, query = QUERY): Promise<RawSseReader> {
  return RawSseReader.open(`${fx.url}${query}`, { 'Last-Event-ID': lastEventId });
}

describe('replay admission', () => {
  test('one replay at a time, the others in arrival order, the queue bounded (503 replay_queue_full), leavers skipped', async () => {
    const store = new GatedStore(new MemoryStore());
    const fx = await hubWith(store, { maxConcurrentReplays: 1, maxQueuedReplays: 2 });
    try {
      await publishMany(fx, ['u1', 'u2', 'u3']);
      store.hold();
      const heads: string[] = [];
      const answered = (name: string) => (r: RawSseReader) => {
        heads.push(name);
        return r;
      };
      const a = resume(fx, 'u1').then(answered('a'));
      await waitUntil(() => store.held === 1, 'the first resume reads history');
      const b = resume(fx, 'u1').then(answered('b'));
      assert.equal(
        await waitForMetric(fx.url, 'tidings_replays_waiting', '', (v) => v === 1),
        1,
        '1 waiting',
      );
      const leaver = unreadResume(fx, 'u1');
      assert.equal(
        await waitForMetric(fx.url, 'tidings_replays_waiting', '', (v) => v === 2),
        2,
        '2 waiting',
      );
      assert.equal(await metric(fx.url, 'tidings_replays_active'), 1);

      // The queue is full: the next resume is refused, with a problem and a Retry-After.
      const refused = await fetch(`${fx.url}${QUERY}`, { headers: { 'Last-Event-ID': 'u1' } });
      assertProblem(
        { status: refused.status, headers: refused.headers, body: await refused.text() },
        'replay_queue_full',
        { retryAfter: true },
      );
      assert.equal(await metric(fx.url, 'tidings_replays_refused_total'), 1);
      // A subscribe that does not resume never waits.
      const live = await RawSseReader.open(`${fx.url}${QUERY}`);
      assert.equal(live.status, 200);

      // A waiting client that leaves gives its place up at once.
      leaver.destroy();
      assert.equal(
        await waitForMetric(fx.url, 'tidings_replays_waiting', '', (v) => v === 1),
        1,
        '1 waiting',
      );

      // Published while b waits: b is not registered yet, so it gets them from history.
      await publishMany(fx, ['u4', 'u5']);
      store.open();
      const [ra, rb] = await Promise.all([a, b]);
      assert.deepEqual(heads, ['a', 'b'], 'answered in arrival order');
      for (const r of [ra, rb]) {
        assert.equal(r.status, 200);
        assert.equal(r.headers['last-event-id'], 'u1');
        await r.waitUntil((bytes) => idsIn(bytes.toString()).length >= 4);
      }
      await publishMany(fx, ['u6']);
      for (const r of [ra, rb]) {
        await r.waitUntil((bytes) => idsIn(bytes.toString()).length >= 5);
        assert.deepEqual(idsIn(r.text), ['u2', 'u3', 'u4', 'u5', 'u6'], 'each once, in order');
        r.close();
      }
      await live.waitUntil((bytes) => idsIn(bytes.toString()).length >= 3);
      assert.deepEqual(idsIn(live.text), ['u4', 'u5', 'u6']);
      live.close();
      assert.equal(await waitForMetric(fx.url, 'tidings_replays_active', '', (v) => v === 0), 0);
      assert.equal(await metric(fx.url, 'tidings_replays_waiting'), 0);
    } finally {
      await fx.close();
    }
  });

  test('a resume whose client does not read gives its slot back while it drains: the next one is served', async () => {
    const store = new GatedStore(new MemoryStore({ size: 500 }));
    const fx = await hubWith(store, {
      maxConcurrentReplays: 1,
      replayPageSize: 20,
      maxQueueBytes: 64 * 1024 * 1024,
    });
    const big = 'y'.repeat(64 * 1024);
    let stalled: Socket | undefined;
    try {
      await publishMany(fx, ['first'], TOPIC, 'small');
      const ids = Array.from({ length: 400 }, (_, i) => `big-${i}`);
      await publishMany(fx, ids, TOPIC, big);
      // 26 MB of history to a client that reads nothing: far more than loopback socket buffers hold.
      stalled = connect({ port: fx.port, host: '127.0.0.1' });
      stalled.on('error', () => {});
      stalled.pause();
      stalled.write(`GET /.well-known/mercure${QUERY} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: first\r\n\r\n`);
      await waitUntil(() => store.reads.length >= 2, 'the stalled resume reads past its first page');
      assert.equal(await waitForMetric(fx.url, 'tidings_replays_active', '', (v) => v === 0), 0);

      const next = await resume(fx, 'big-398');
      assert.equal(next.status, 200);
      await next.waitUntil((bytes) => idsIn(bytes.toString()).includes('big-399'));
      next.close();
      assert.equal(
        stalled.destroyed,
        false,
        'the stalled client is still connected: only its turn was given up',
      );
    } finally {
      stalled?.destroy();
      await fx.close();
    }
  });

  test('exact selectors read history by topic; patterns read all of it; replay is the same either way', async () => {
    const store = new GatedStore(new MemoryStore());
    const fx = await hubWith(store, {});
    try {
      await publishMany(fx, ['o1'], OTHER);
      await publishMany(fx, ['t1', 't2'], TOPIC);
      await publishMany(fx, ['o2'], OTHER);
      await publishMany(fx, ['t3'], TOPIC);

      const exact = await resume(
        fx,
        'o1',
        `${QUERY}&topic=${encodeURIComponent('https://example.com/none')}`,
      );
      await exact.waitUntil((b) => idsIn(b.toString()).length >= 3);
      assert.deepEqual(idsIn(exact.text), ['t1', 't2', 't3']);
      exact.close();
      const filters = store.reads.map((r) =>
        r.filter === undefined ? undefined : [...r.filter.topics].sort(),
      );
      assert.deepEqual(filters, [[TOPIC, 'https://example.com/none'].sort()]);

      store.reads.length = 0;
      const pattern = await resume(
        fx,
        'o1',
        `?match_urlpattern=${encodeURIComponent('https://example.com/:name')}`,
      );
      await pattern.waitUntil((b) => idsIn(b.toString()).length >= 4);
      assert.deepEqual(idsIn(pattern.text), ['t1', 't2', 'o2', 't3']);
      pattern.close();
      const template = await resume(fx, 'o1', `?topic=${encodeURIComponent('https://example.com/{name}')}`);
      await template.waitUntil((b) => idsIn(b.toString()).length >= 4);
      template.close();
      const wildcard = await resume(fx, 'o1', '?topic=*');
      await wildcard.waitUntil((b) => idsIn(b.toString()).length >= 4);
      assert.deepEqual(idsIn(wildcard.text), ['t1', 't2', 'o2', 't3']);
      wildcard.close();
      assert.ok(store.reads.length >= 1, 'the resumes read the store');
      for (const r of store.reads) assert.equal(r.filter, undefined, 'no filter for patterns or *');

      // Unknown id: `earliest`, and still only this topic's history is read.
      store.reads.length = 0;
      const unknown = await resume(fx, 'gone', QUERY);
      assert.equal(unknown.headers['last-event-id'], 'earliest');
      await unknown.waitUntil((b) => idsIn(b.toString()).length >= 3);
      assert.deepEqual(idsIn(unknown.text), ['t1', 't2', 't3']);
      unknown.close();
      assert.deepEqual(
        store.reads.map((r) => [r.afterId, r.filter === undefined ? undefined : [...r.filter.topics]]),
        [
          ['gone', [TOPIC]],
          ['earliest', [TOPIC]],
        ],
      );
    } finally {
      await fx.close();
    }
  });
});

/** A resume on a raw socket whose answer the test never reads: it can only leave. */
function unreadResume(fx: HubFixture, lastEventId: string): Socket {
  const s = connect({ port: fx.port, host: '127.0.0.1' });
  s.on('error', () => {});
  s.write(`GET /.well-known/mercure${QUERY} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: ${lastEventId}\r\n\r\n`);
  return s;
}

async function waitUntil(ok: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
