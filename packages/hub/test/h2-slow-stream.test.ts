import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { describe, it } from 'node:test';
import { createHub } from '@tidings/hub';
import { H2Sse, h2Session } from './support/h2-sse.js';
import { metric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/h2/slow';
const PATH = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;
const UPDATES = 200;
const DATA = 'x'.repeat(8 * 1024);

// Flow control is the backpressure of HTTP/2 (RFC 9113 5.2): a stream whose client does not
// read keeps its window closed, and must cost what a slow HTTP/1.1 socket costs, no more, while
// the streams beside it on the same connection go on.
describe('a never-reading HTTP/2 stream next to a reading one, on one connection', {
  timeout: 120_000,
}, () => {
  it('the reader keeps its latency, the stuck stream is dropped as a slow consumer, memory stays bounded', async () => {
    const maxQueueBytes = 256 * 1024;
    const hub = await createHub({
      heartbeatMs: 0,
      limits: { publishRatePerSecond: 0, maxQueueBytes, writeTimeoutMs: 60_000 },
    });
    const { port } = await hub.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    // A connection window as browsers open it (Chromium: 15 MB), each stream its default 64 KiB:
    // the stuck stream can hold back its own window, not the connection's.
    const session = await h2Session(base);
    session.setLocalWindowSize(16 * 1024 * 1024);
    try {
      const stuck = new H2Sse(session, PATH, {}, false);
      const reader = new H2Sse(session, PATH);
      await Promise.all([stuck.opened(), reader.opened()]);
      const latencies: number[] = [];
      /** The update at which the stuck stream had been dropped. */
      let droppedBy: number | undefined;
      for (let i = 0; i < UPDATES; i++) {
        if (droppedBy === undefined && stuck.stream.closed) droppedBy = i;
        const sent = performance.now();
        const id = await hub.publish({ topics: [TOPIC], data: DATA });
        const seen = reader.frames.length;
        await reader.until(
          () => reader.text.endsWith(`id: ${id}\ndata: ${DATA}\n\n`),
          `update ${i} at the reader`,
        );
        const frame = reader.frames.slice(seen).at(-1) ?? reader.frames.at(-1)!;
        latencies.push(frame.at - sent);
      }
      const end = await stuck.ended;
      assert.equal(end.rstCode, constants.NGHTTP2_CANCEL, 'the stuck stream was reset');
      assert.equal(
        await metric(base, 'tidings_dropped_subscribers_total', '{reason="slow_consumer"}'),
        1,
        'dropped by the slow-consumer policy (its queue bound), not by a timeout',
      );
      assert.equal(hub.subscriberCount, 1, 'the reader is still subscribed');
      assert.equal(session.closed, false, 'the connection and the reader went on');
      latencies.sort((a, b) => a - b);
      const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
      assert.ok(p99 < 1_000, `the reader's p99 latency stayed low: ${p99.toFixed(1)} ms`);
      // What the hub held for the stuck stream never passed its queue bound plus the stream's
      // window and write buffer (64 KiB each, with room for frames in flight): it was dropped then.
      const bound = Math.ceil((maxQueueBytes + 256 * 1024) / DATA.length);
      assert.ok(
        droppedBy !== undefined && droppedBy <= bound,
        `dropped after ${droppedBy} updates, bound ${bound}`,
      );
    } finally {
      session.destroy();
      await hub.close();
    }
  });
});
