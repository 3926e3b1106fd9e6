import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHub, type Hub, type SubscriptionInfo } from '@tidings/hub';
import { CurlStream, curlOnce } from './support/curl-stream.js';
import { testCertificate } from './support/tls-cert.js';

const TOPIC = 'https://example.com/h2/1';
/** Data that must arrive byte for byte: several lines, non-ASCII, a trailing space, a colon. */
const DATA = 'first line é✓ \nsecond: 🎉\n\nfourth';
/** The same as SSE data lines (WHATWG HTML 9.2.6: one `data:` per line). */
const DATA_LINES = 'data: first line é✓ \ndata: second: 🎉\ndata: \ndata: fourth\n';

/** Resolves once the hub has `n` more active subscriptions (the event, not a poll). */
function subscribed(hub: Hub, n = 1): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const stop = hub.onSubscriptionChange((info: SubscriptionInfo) => {
      if (info.active && ++seen === n) {
        stop();
        resolve();
      }
    });
  });
}

/**
 * The same story with curl over each way HTTP/2 reaches the hub: h2 negotiated by ALPN on the
 * TLS port, and h2c with prior knowledge on the cleartext port (what a reverse proxy speaks).
 */
for (const mode of ['h2 over TLS (ALPN)', 'h2c with prior knowledge'] as const) {
  describe(`curl subscribes, publishes and resumes: ${mode}`, { timeout: 60_000 }, () => {
    let hub: Hub;
    let base: string;
    let flags: string[];

    before(async () => {
      const tls = mode === 'h2 over TLS (ALPN)';
      const cert = tls ? await testCertificate() : undefined;
      hub = await createHub({
        heartbeatMs: 0,
        limits: { publishRatePerSecond: 0 },
        ...(cert !== undefined && { tls: cert }),
      });
      const { port } = await hub.listen(0, '127.0.0.1');
      base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/.well-known/mercure`;
      flags =
        tls && cert !== undefined ? ['--http2', '--cacert', cert.certFile] : ['--http2-prior-knowledge'];
    });
    after(() => hub.close());

    it('a stream gets the published data byte-exact, and a resume replays after Last-Event-ID', async () => {
      const opened = subscribed(hub);
      const stream = new CurlStream([
        ...flags,
        '-w',
        '\nversion=%{http_version}\n',
        `${base}?topic=${TOPIC}`,
      ]);
      try {
        await opened;
        const one = await curlOnce([
          ...flags,
          base,
          '--data-urlencode',
          `topic=${TOPIC}`,
          '--data-urlencode',
          `data=${DATA}`,
        ]);
        assert.equal(one.status, 200, `publish: ${one.body}`);
        assert.equal(one.version, '2', 'the publish went over HTTP/2');
        const two = await curlOnce([...flags, base, '-d', `topic=${TOPIC}`, '-d', 'data=two']);
        assert.equal(two.status, 200, `second publish: ${two.body}`);
        const expected = `id: ${one.body}\n${DATA_LINES}\nid: ${two.body}\ndata: two\n\n`;
        await stream.until((t) => t.includes(expected), 'both events, byte-exact');
        assert.match(stream.text, /^retry: \d+\n\n/, 'the stream starts with its retry');
        assert.ok(
          stream.bytes.includes(Buffer.from(expected, 'utf8')),
          'the bytes are exactly the encoded events',
        );

        // Resume after the first: only the second is replayed, with the cursor headers.
        const resumed = new CurlStream([
          ...flags,
          '-D',
          '-',
          '-H',
          `Last-Event-ID: ${one.body}`,
          `${base}?topic=${TOPIC}`,
        ]);
        try {
          await resumed.until((t) => t.includes(`id: ${two.body}\ndata: two\n\n`), 'the replayed event');
          assert.match(resumed.text, /^HTTP\/2 200/m, 'answered over HTTP/2');
          assert.match(resumed.text, /^last-event-id: /im, 'the resume says where it continues');
          assert.ok(
            !resumed.text.includes('data: first line'),
            'nothing before the Last-Event-ID is replayed',
          );
        } finally {
          resumed.kill();
        }
      } finally {
        stream.kill();
      }
    });

    it('refusals are problems over HTTP/2 too (no connection-specific header)', async () => {
      const refused = await curlOnce([...flags, `${base}?match_regex=x`]);
      assert.equal(refused.status, 400, refused.body);
      assert.equal(refused.version, '2');
      assert.equal(JSON.parse(refused.body).code, 'unknown_match_parameter');
    });

    it('a graceful close ends the HTTP/2 stream cleanly', async () => {
      const opened = subscribed(hub);
      const stream = new CurlStream([
        ...flags,
        '-w',
        '\nversion=%{http_version}\n',
        `${base}?topic=${TOPIC}`,
      ]);
      try {
        await opened;
        await hub.close();
        assert.equal(await stream.exited, 0, `curl saw a clean end: ${stream.stderr}`);
        assert.match(stream.text, /version=2\n$/, 'it was HTTP/2');
      } finally {
        stream.kill();
      }
    });
  });
}

describe('one TLS port: HTTP/1.1 by ALPN next to h2', { timeout: 60_000 }, () => {
  it('a connection still in its TLS handshake does not hold close() (handshake deadline 60 s here)', async () => {
    const cert = await testCertificate();
    const hub = await createHub({
      heartbeatMs: 0,
      tls: cert,
      limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 },
    });
    const { port } = await hub.listen(0, '127.0.0.1');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    // A request answered after the connect: the server has accepted the silent connection too.
    const health = await curlOnce([
      '--http1.1',
      '--cacert',
      cert.certFile,
      `https://127.0.0.1:${port}/healthz`,
    ]);
    assert.equal(health.body, 'ok\n');
    const closed = once(socket, 'close');
    await hub.close();
    await closed;
    assert.equal(socket.destroyed, true, 'the handshaking connection was closed by close()');
  });

  it('curl --http1.1 subscribes and publishes on the TLS port', async () => {
    const cert = await testCertificate();
    const hub = await createHub({ heartbeatMs: 0, tls: cert });
    const { port } = await hub.listen(0, '127.0.0.1');
    const base = `https://127.0.0.1:${port}/.well-known/mercure`;
    const flags = ['--http1.1', '--cacert', cert.certFile];
    const opened = subscribed(hub);
    const stream = new CurlStream([...flags, `${base}?topic=${TOPIC}`]);
    try {
      await opened;
      const one = await curlOnce([...flags, base, '-d', `topic=${TOPIC}`, '-d', 'data=one']);
      assert.equal(one.version, '1.1', 'HTTP/1.1 was negotiated');
      await stream.until((t) => t.includes(`id: ${one.body}\ndata: one\n\n`), 'the event over HTTP/1.1');
      const health = await curlOnce([...flags, `https://127.0.0.1:${port}/healthz`]);
      assert.equal(health.body, 'ok\n', 'the operations endpoints answer on the TLS port');
    } finally {
      stream.kill();
      await hub.close();
    }
  });
});
