import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventSourceClient } from './support/event-source-client.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { waitUntil } from './support/quiet-watch.js';
import { RawSseReader } from './support/raw-sse-reader.js';
import { SseReader } from './support/sse-reader.js';

/**
 * The stream itself (reference/sse-spec.md "What this means for a server"): response headers,
 * headers flushed at once, retry honoured by a real client, heartbeat comments only when idle,
 * and one encoding of an update shared byte for byte by every subscriber.
 */

const TOPIC = 'https://example.com/stream';
const sub = (fx: HubFixture, query = `match=${encodeURIComponent(TOPIC)}`) => `${fx.url}?${query}`;

async function withHub(options: Parameters<typeof startHub>[0], fn: (fx: HubFixture) => Promise<void>) {
  const fx = await startHub(options);
  try {
    await fn(fx);
  } finally {
    await fx.close();
  }
}

/** Blocks of a raw stream that are comments only (heartbeats). */
function commentBlocks(text: string): string[] {
  return text.split('\n\n').filter((b) => b.startsWith(':'));
}

describe('response headers', () => {
  test('text/event-stream, no-cache, X-Accel-Buffering: no, nothing that buffers or ends the body', async () => {
    await withHub({}, async (fx) => {
      for (const query of [`match=${encodeURIComponent(TOPIC)}`, 'match=*', 'topic=x']) {
        const raw = await RawSseReader.open(sub(fx, query));
        try {
          assert.equal(raw.status, 200);
          const type = raw.headers['content-type'] ?? '';
          assert.equal(type.split(';')[0]!.trim().toLowerCase(), 'text/event-stream', query);
          const cache = (raw.headers['cache-control'] ?? '').split(',').map((d) => d.trim().toLowerCase());
          assert.ok(cache.includes('no-cache'), `cache-control: ${raw.headers['cache-control']}`);
          assert.equal(raw.headers['x-accel-buffering'], 'no');
          assert.equal(raw.headers['content-length'], undefined);
          assert.equal(raw.headers['content-encoding'], undefined);
        } finally {
          raw.close();
        }
      }
    });
  });

  test('headers arrive before any event, with and without Last-Event-ID, while nothing is published', async () => {
    await withHub({}, async (fx) => {
      const variants: Record<string, string>[] = [
        {},
        { 'Last-Event-ID': 'unknown-id' },
        { 'Last-Event-ID': 'earliest' },
      ];
      for (const headers of variants) {
        // Nothing is published and there is no heartbeat (startHub's default): a head held back
        // until something is written never comes, and open() fails at its deadline.
        const raw = await RawSseReader.open(sub(fx), headers);
        try {
          assert.equal(raw.status, 200);
          // Only the retry preamble: no event had to be written to get the headers out.
          const bytes = await raw.waitUntil((b) => b.includes('\n\n'));
          assert.match(bytes.toString('utf8'), /^retry: \d+\n\n$/);
        } finally {
          raw.close();
        }
      }
    });
  });
});

describe('a client that publishes on open', () => {
  test('gets its own update, for 20 clients opening at once', async () => {
    await withHub({}, async (fx) => {
      const clients = Array.from({ length: 20 }, (_, i) => {
        const topic = `https://example.com/own/${i}`;
        const client = new EventSourceClient(`${fx.url}?match=${encodeURIComponent(topic)}`);
        client.source.addEventListener('open', () => {
          void fx.publish({ topic, data: `mine ${i}`, id: `own-${i}` });
        });
        return client;
      });
      try {
        await Promise.all(clients.map((c) => c.waitFor(1)));
        clients.forEach((c, i) => {
          assert.deepEqual(c.events, [{ type: 'message', data: `mine ${i}`, lastEventId: `own-${i}` }]);
        });
      } finally {
        for (const c of clients) c.close();
      }
    });
  });
});

describe('retry', () => {
  test('the stream starts with the configured retry (with bounded jitter)', async () => {
    await withHub({ retryMs: 1000 }, async (fx) => {
      const readers = await Promise.all(Array.from({ length: 5 }, () => SseReader.open(sub(fx))));
      try {
        await fx.publish({ topic: TOPIC, data: 'x' });
        await Promise.all(readers.map((r) => r.waitFor(1)));
        for (const r of readers) {
          assert.equal(r.retries.length, 1);
          assert.ok(r.retries[0]! >= 1000 && r.retries[0]! <= 1500, `retry ${r.retries[0]}`);
        }
      } finally {
        for (const r of readers) r.close();
      }
    });
  });

  test('the eventsource client waits the stream retry before reconnecting, with Last-Event-ID', async () => {
    // The hub ends every stream after 300 ms (maximum lifetime); the client reconnects after the
    // retry the stream sent (600-900 ms here), not its own 3 s default, not at once.
    await withHub({ retryMs: 600, limits: { maxStreamLifetimeMs: 300, lifetimeJitter: 0 } }, async (fx) => {
      const es = new EventSourceClient(sub(fx));
      try {
        await es.opened();
        await fx.publish({ topic: TOPIC, data: 'before', id: 'before-reconnect' });
        await es.until(() => es.opens.length >= 2, 'a reconnect', 4000);
        const gap = es.opens[1]! - es.errors[0]!;
        assert.ok(gap >= 550 && gap < 2500, `reconnected after ${gap} ms`);
        assert.equal(es.requests[1]!['Last-Event-ID'], 'before-reconnect');
        assert.equal(es.responses[1]!.headers.get('mercure-last-event-id'), 'before-reconnect');
      } finally {
        es.close();
      }
    });
  });

  test('a published retry overrides the stream retry for the next reconnect', async () => {
    await withHub({ retryMs: 5000, limits: { maxStreamLifetimeMs: 400, lifetimeJitter: 0 } }, async (fx) => {
      const es = new EventSourceClient(sub(fx));
      try {
        await es.opened();
        await fx.publish({ topic: TOPIC, data: 'faster', retry: '50' });
        await es.waitFor(1);
        await es.until(() => es.opens.length >= 2, 'a reconnect', 2000);
        const gap = es.opens[1]! - es.errors[0]!;
        assert.ok(gap < 1000, `reconnected after ${gap} ms`);
      } finally {
        es.close();
      }
    });
  });
});

describe('heartbeat', () => {
  // The heartbeat clock is the hub's one setInterval (stream/heartbeats.ts). The tests mock it
  // (node:test MockTimers, setInterval only: sockets, fetch and setTimeout stay real) and move it
  // themselves, so silence is counted in the hub's own ticks, never in wall-clock time that a
  // busy machine stretches. A heartbeat is written by the tick that sends it, before tick()
  // returns; an update published afterwards arrives after it (one connection, in order).
  const PERIOD = 1000;

  /** Publishes an update and waits for it: the fence after which "no heartbeat yet" is read. */
  async function fence(fx: HubFixture, raw: RawSseReader, id: string): Promise<string> {
    assert.equal((await fx.publish({ topic: TOPIC, data: id, id })).status, 200);
    const text = (await raw.waitUntil((b) => b.toString('utf8').includes(`id: ${id}\n`))).toString('utf8');
    return text.slice(0, text.indexOf(`id: ${id}\n`));
  }

  test('comments appear while the stream is idle: none before a period of silence, then one per period', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    await withHub({ heartbeatMs: PERIOD }, async (fx) => {
      const raw = await RawSseReader.open(sub(fx));
      try {
        await raw.waitForBlocks(1);
        t.mock.timers.tick(PERIOD * 0.9);
        assert.deepEqual(
          commentBlocks(await fence(fx, raw, 'quiet')),
          [],
          'no heartbeat before a period of silence',
        );
        // Silent from the update on: one heartbeat by 1.1 periods (at most a tenth late)...
        const from = raw.bytes.length;
        t.mock.timers.tick(PERIOD * 1.1);
        await raw.waitUntil((b) => b.subarray(from).toString('utf8') === ':\n\n');
        // ...and then one per period (each at most a tenth early or late): 3 or 4 in 4 periods.
        t.mock.timers.tick(PERIOD * 2.9);
        const beats = commentBlocks(await fence(fx, raw, 'after')).length;
        assert.ok(beats >= 3 && beats <= 4, `${beats} heartbeats in 4 periods of silence`);
        assert.match(
          raw.text,
          /^retry: \d+\n\nid: quiet\ndata: quiet\n\n(:\n\n)+id: after\ndata: after\n\n$/,
        );
      } finally {
        raw.close();
      }
    });
  });

  test('real traffic resets the heartbeat: none while updates flow, back once idle', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    await withHub({ heartbeatMs: PERIOD }, async (fx) => {
      const raw = await RawSseReader.open(sub(fx));
      try {
        await raw.waitForBlocks(1);
        // An update every half period for ten periods: every write pushes the next comment back.
        const n = 20;
        for (let i = 0; i < n; i++) {
          t.mock.timers.tick(PERIOD / 2);
          await fence(fx, raw, `t${i}`);
        }
        const busy = raw.text;
        assert.deepEqual(commentBlocks(busy), [], 'a heartbeat was sent between updates');
        assert.equal(busy.split('\n\n').length - 1, n + 1, 'preamble and one block per update');
        const after = raw.bytes.length;
        t.mock.timers.tick(PERIOD * 1.1);
        await raw.waitUntil((b) => commentBlocks(b.subarray(after).toString('utf8')).length >= 1);
        assert.equal(raw.bytes.subarray(after).toString('utf8'), ':\n\n');
      } finally {
        raw.close();
      }
    });
  });

  test('eventsource-parser sees heartbeats as comments, never as events', async () => {
    await withHub({ heartbeatMs: 40 }, async (fx) => {
      const reader = await SseReader.open(sub(fx));
      try {
        await waitUntil(() => reader.comments.length >= 3, 'three heartbeats', 15_000);
        assert.deepEqual(reader.events, []);
      } finally {
        reader.close();
      }
    });
  });
});

describe('one encoding for every subscriber', () => {
  test('the same update reaches 12 subscribers, over different selectors, byte for byte identical', async () => {
    await withHub({}, async (fx) => {
      const queries = [
        `match=${encodeURIComponent(TOPIC)}`,
        'match=*',
        `match_exact=${encodeURIComponent(TOPIC)}`,
        `topic=${encodeURIComponent(TOPIC)}`,
        `match=other&match=${encodeURIComponent(TOPIC)}`,
        `match=*&match=${encodeURIComponent(TOPIC)}`,
      ];
      const readers = await Promise.all([...queries, ...queries].map((q) => RawSseReader.open(sub(fx, q))));
      try {
        const data = 'line 1\r\nline 2\rline 3\n\n😀 é';
        const res = await fx.publish({ topic: TOPIC, data, type: 'shared', id: 'shared-1' });
        assert.equal(res.status, 200);
        const want =
          'event: shared\nid: shared-1\ndata: line 1\ndata: line 2\ndata: line 3\ndata: \ndata: 😀 é\n\n';
        const frames = await Promise.all(
          readers.map(async (r) => {
            const bytes = await r.waitUntil((b) => b.toString('utf8').endsWith(want));
            // Strip the per-stream preamble (its retry is jittered per stream).
            return bytes.subarray(bytes.indexOf('\n\n') + 2);
          }),
        );
        for (const f of frames) assert.ok(f.equals(Buffer.from(want, 'utf8')), JSON.stringify(f.toString()));
      } finally {
        for (const r of readers) r.close();
      }
    });
  });

  test('a replaying subscriber gets the same bytes as a live one', async () => {
    await withHub({}, async (fx) => {
      const live = await RawSseReader.open(sub(fx));
      try {
        await fx.publish({ topic: TOPIC, data: 'a\rb', id: 'first' });
        await fx.publish({ topic: TOPIC, data: 'c\r\nd', id: 'second', type: 't' });
        const replay = await RawSseReader.open(sub(fx), { 'Last-Event-ID': 'earliest' });
        try {
          const want = 'id: first\ndata: a\ndata: b\n\nevent: t\nid: second\ndata: c\ndata: d\n\n';
          for (const r of [live, replay]) {
            const bytes = await r.waitUntil((b) => b.toString('utf8').endsWith(want));
            assert.equal(bytes.subarray(bytes.indexOf('\n\n') + 2).toString('utf8'), want);
          }
        } finally {
          replay.close();
        }
      } finally {
        live.close();
      }
    });
  });
});
