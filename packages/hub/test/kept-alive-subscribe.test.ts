/**
 * A subscribe that node:http reads on a kept-alive connection while the connection's previous
 * response is still unfinished: node:http answers in order, so the subscribe's response has no
 * socket yet. The stream must wait for its turn, then open and deliver, and must go (no ghost
 * subscriber) when the connection closes first. Found in Chromium: an EventSource sent on the
 * connection that had just carried a static file stayed 'connecting…' with no answer, about once
 * in ten runs on a busy machine (apps/picture-frame/test/emoji-browser.test.ts).
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { connectTo } from './support/raw-http.js';
import { waitForMetric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/kept';
const QUERY = `/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`;

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
}

/** Everything a connection received, and a wait on it that fails with what came. */
function received(socket: Socket): {
  text(): string;
  until(ok: (t: string) => boolean, what: string): Promise<void>;
} {
  const chunks: Buffer[] = [];
  socket.on('data', (b: Buffer) => chunks.push(b));
  socket.on('error', () => {});
  const text = () => Buffer.concat(chunks).toString('latin1');
  return {
    text,
    async until(ok, what) {
      const deadline = Date.now() + 15_000;
      while (!ok(text())) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify(text())}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

describe('a subscribe queued behind an unfinished response on its connection', () => {
  let fx: HubFixture;
  /** The held responses of GET /slow, ended by the test. */
  const held: ServerResponse[] = [];

  before(async () => {
    fx = await startHub({
      subscriptions: false,
      fallback: (req, res) => {
        if (req.url !== '/slow') {
          res.writeHead(404).end();
          return;
        }
        // The head goes; the body's end waits for the test (a static file still being sent).
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '4' });
        res.write('sl');
        held.push(res);
      },
    });
  });
  after(() => fx.close());

  const subscribers = (ok: (v: number) => boolean) => waitForMetric(fx.url, 'tidings_subscribers', '', ok);

  test('opens once the previous response has finished, and delivers', async () => {
    const socket = await connectTo(fx.port);
    const conn = received(socket);
    try {
      const before = await subscribers(() => true);
      // Both requests at once: node:http reads the subscribe while /slow is still unfinished.
      socket.write(get('/slow') + get(QUERY));
      // Registered (the core holds its updates) while its response waits for the connection.
      await subscribers((v) => v === before + 1);
      assert.equal((await fx.publish({ topic: TOPIC, data: 'early', id: 'k-1' })).status, 200);
      assert.equal(held.length, 1, 'the first request is held');
      assert.ok(!conn.text().includes('text/event-stream'), 'no stream head before the first response ends');
      held.shift()!.end('ow');
      await conn.until((t) => t.includes('\r\n\r\nslow'), 'the first response');
      await conn.until((t) => t.includes('Content-Type: text/event-stream'), 'the stream head after it');
      await conn.until((t) => t.includes('id: k-1\ndata: early\n\n'), 'the update published while it waited');
      assert.equal((await fx.publish({ topic: TOPIC, data: 'later', id: 'k-2' })).status, 200);
      await conn.until((t) => t.includes('id: k-2\ndata: later\n\n'), 'a later update');
      const text = conn.text();
      assert.ok(
        text.indexOf('\r\n\r\nslow') < text.indexOf('text/event-stream'),
        'answered in request order',
      );
    } finally {
      socket.destroy();
    }
  });

  test('a resume waits for its turn too, then replays history and goes live', async () => {
    const socket = await connectTo(fx.port);
    const conn = received(socket);
    try {
      assert.equal((await fx.publish({ topic: TOPIC, data: 'history', id: 'r-1' })).status, 200);
      const before = await subscribers(() => true);
      socket.write(get('/slow') + get(`${QUERY}&lastEventID=earliest`));
      await subscribers((v) => v === before + 1);
      held.shift()!.end('ow');
      await conn.until((t) => t.includes('id: r-1\ndata: history\n\n'), 'the replayed update');
      assert.equal((await fx.publish({ topic: TOPIC, data: 'live', id: 'r-2' })).status, 200);
      await conn.until((t) => t.includes('id: r-2\ndata: live\n\n'), 'a live update after the replay');
    } finally {
      socket.destroy();
    }
  });

  test('goes when the connection closes before its turn: no subscriber left', async () => {
    const socket = await connectTo(fx.port);
    received(socket);
    const before = await subscribers(() => true);
    socket.write(get('/slow') + get(QUERY));
    await subscribers((v) => v === before + 1);
    socket.destroy();
    await subscribers((v) => v === before);
    // The held response's socket is gone too; ending it must not revive the stream.
    held.shift()!.end('ow');
    assert.equal(await subscribers(() => true), before);
  });
});
