import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { describe, it } from 'node:test';
import { createHub, type Hub, type HubOptions } from '@tidings/hub';
import { FRAME, headers, ping, RawH2, rstStream, settings } from './support/h2-frames.js';
import { H2Sse, h2Session } from './support/h2-sse.js';
import { metric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/h2/limits';
const PATH = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;

async function hubOn(options: HubOptions = {}): Promise<{ hub: Hub; port: number }> {
  const hub = await createHub({ heartbeatMs: 0, ...options });
  const { port } = await hub.listen(0, '127.0.0.1');
  return { hub, port };
}

/** The server's SETTINGS has come (and was acknowledged by the raw client). */
function settled(raw: RawH2): Promise<void> {
  return raw.until(() => raw.frames.some((f) => f.type === FRAME.SETTINGS && f.flags === 0), 'SETTINGS');
}

describe('HTTP/2 limits', { timeout: 120_000 }, () => {
  it('h2MaxConcurrentStreams: a client waits for a free stream; one that does not is closed', async () => {
    const { hub, port } = await hubOn({ limits: { h2MaxConcurrentStreams: 2 } });
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const raw = await RawH2.connect(port);
    try {
      // node:http2 (as browsers) keeps the third request until a stream is free.
      const a = new H2Sse(session, PATH);
      const b = new H2Sse(session, PATH);
      await Promise.all([a.opened(), b.opened()]);
      const c = new H2Sse(session, PATH);
      assert.equal(c.headers, undefined, 'no answer while two streams are open');
      a.stream.close();
      await c.opened();
      assert.equal(c.status, 200, 'the third stream went once the first had ended');

      // A client that opens more than it was told may (RFC 9113 5.1.2) is a protocol error.
      await settled(raw);
      raw.send(headers(1, PATH), headers(3, PATH), headers(5, PATH));
      await raw.until(() => raw.goaway !== undefined, 'GOAWAY');
      // nghttp2 ends the connection (RFC 9113 5.1.2 lets it); Node reports the error as INTERNAL_ERROR.
      assert.notEqual(raw.goaway!.code, constants.NGHTTP2_NO_ERROR, 'an error GOAWAY');
      assert.ok(
        !raw.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 5),
        'the stream past the limit was never answered',
      );
      assert.equal(session.closed, false, 'the well-behaved connection goes on');
    } finally {
      raw.socket.destroy();
      session.destroy();
      await hub.close();
    }
  });

  it('h2MaxHeaderListBytes: a request with a larger header list is reset, the connection goes on', async () => {
    const { hub, port } = await hubOn({ limits: { h2MaxHeaderListBytes: 4096 } });
    const raw = await RawH2.connect(port);
    try {
      await settled(raw);
      raw.send(headers(1, PATH, { 'x-big': 'x'.repeat(8000) }));
      await raw.until(() => raw.resets.has(1), 'the stream to be reset');
      assert.equal(raw.resets.get(1), constants.NGHTTP2_ENHANCE_YOUR_CALM);
      raw.send(headers(3, '/healthz'));
      await raw.until(
        () => raw.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 3),
        'the next request',
      );
    } finally {
      raw.socket.destroy();
      await hub.close();
    }
  });

  for (const [flood, code, frames] of [
    [
      'rapid reset',
      'h2_rapid_reset',
      () => {
        const out: Buffer[] = [];
        for (let id = 1; id < 20_000; id += 2) out.push(headers(id, PATH), rstStream(id));
        return out;
      },
    ],
    ['SETTINGS flood', 'h2_settings_flood', () => Array.from({ length: 5_000 }, () => settings())],
    ['PING flood', 'h2_ping_flood', () => Array.from({ length: 5_000 }, (_, i) => ping(i))],
  ] as const) {
    it(`${flood}: GOAWAY ENHANCE_YOUR_CALM (${code}), bounded work, other clients unaffected`, async () => {
      const { hub, port } = await hubOn();
      const session = await h2Session(`http://127.0.0.1:${port}`);
      const reader = new H2Sse(session, PATH);
      const raw = await RawH2.connect(port);
      try {
        await Promise.all([reader.opened(), settled(raw)]);
        const cpu = process.cpuUsage();
        const started = performance.now();
        raw.send(...frames());
        await raw.until(() => raw.goaway !== undefined, 'GOAWAY');
        assert.deepEqual(raw.goaway, { code: constants.NGHTTP2_ENHANCE_YOUR_CALM, debug: code });
        await raw.closed;
        const spent = process.cpuUsage(cpu);
        const cpuMs = (spent.user + spent.system) / 1000;
        // Hub and attacker share this process: the bound is on both together, and generous.
        assert.ok(
          cpuMs < 3_000,
          `the flood cost ${cpuMs.toFixed(0)} ms of CPU in ${(performance.now() - started).toFixed(0)} ms`,
        );
        assert.equal(hub.subscriberCount, 1, 'nothing the flood started is left subscribed');
        const id = await hub.publish({ topics: [TOPIC], data: 'still here' });
        await reader.until(
          () => reader.text.includes(`id: ${id}\ndata: still here\n\n`),
          'the other client’s event',
          5_000,
        );
        assert.equal(session.closed, false, "the other client's connection was not touched");
        const base = `http://127.0.0.1:${port}`;
        assert.equal(
          await metric(base, 'tidings_h2_goaways_total', `{reason="${code}"}`),
          1,
          'counted by reason',
        );
      } finally {
        raw.socket.destroy();
        session.destroy();
        await hub.close();
      }
    });
  }

  it('h2IdleTimeoutMs: a connection without a stream is closed with GOAWAY NO_ERROR, one with a stream stays', async () => {
    const { hub, port } = await hubOn({ limits: { h2IdleTimeoutMs: 300 } });
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const reader = new H2Sse(session, PATH);
    const idle = await RawH2.connect(port);
    try {
      await Promise.all([reader.opened(), settled(idle)]);
      await idle.until(() => idle.goaway !== undefined, 'GOAWAY on the idle connection');
      assert.equal(idle.goaway!.code, constants.NGHTTP2_NO_ERROR);
      await idle.closed;
      // Both connections are older than the timeout by now: the one with a stream was kept.
      assert.equal(session.closed, false, 'the connection with an open stream stays');
      const id = await hub.publish({ topics: [TOPIC], data: 'kept' });
      await reader.until(
        () => reader.text.includes(`id: ${id}\ndata: kept\n\n`),
        'an event on the kept connection',
      );
    } finally {
      idle.socket.destroy();
      session.destroy();
      await hub.close();
    }
  });

  it('a few SETTINGS and PINGs are answered as usual (no GOAWAY under the bounds)', async () => {
    const { hub, port } = await hubOn();
    const raw = await RawH2.connect(port);
    try {
      await settled(raw);
      raw.send(settings(), settings(), ping(1), ping(2), ping(3));
      await raw.until(() => raw.frames.filter((f) => f.type === FRAME.PING).length === 3, 'three PING ACKs');
      raw.send(headers(1, '/healthz'));
      await raw.until(() => raw.frames.some((f) => f.type === FRAME.HEADERS && f.stream === 1), 'an answer');
      assert.equal(raw.goaway, undefined);
    } finally {
      raw.socket.destroy();
      await hub.close();
    }
  });
});
