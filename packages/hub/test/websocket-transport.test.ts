/**
 * Issue 16 item 1, what is WebSocket's own (the protocol shared with every transport is in
 * transport-websocket.test.ts): the close code of each end, ping/pong keep-alive, slow consumers,
 * the cookie's origin check, permessage-deflate, publishing over the socket, the handshake's own
 * errors, other upgrades still served as plain requests, and `attach()`.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { createHub, type HubOptions } from '@tidings/hub';
import WebSocket from 'ws';
import { assertProblem } from './support/expect-problem.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { waitForMetric } from './support/read-metrics.js';
import { nowSeconds, SIGNED_HUB, subscriberToken } from './support/sign-token.js';
import { WEBSOCKET } from './support/transport-clients.js';

const TOPIC = 'https://example.com/ws/1';
const fixtures: HubFixture[] = [];
after(async () => {
  for (const fx of fixtures) await fx.close();
});

async function hub(options: HubOptions = {}): Promise<HubFixture> {
  const fx = await startHub(options);
  fixtures.push(fx);
  return fx;
}

function wsUrl(fx: HubFixture, query = `match=${encodeURIComponent(TOPIC)}`): string {
  return `ws://127.0.0.1:${fx.port}/.well-known/mercure?${query}`;
}

/** Opens a client; resolves once open, with its messages and its close. */
async function client(url: string, options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, options);
  const messages: string[] = [];
  ws.on('message', (d: Buffer) => messages.push(d.toString('utf8')));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await once(ws, 'open');
  return { ws, messages, closed };
}

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('WebSocket ends', () => {
  test('the maximum lifetime closes with 4000 lifetime', async () => {
    const fx = await hub({ limits: { maxStreamLifetimeMs: 300, lifetimeJitter: 0 } });
    const c = await client(wsUrl(fx));
    assert.deepEqual(await withinMs(c.closed, 10_000, 'close'), { code: 4000, reason: 'lifetime' });
  });

  test('shutdown closes with 1001 shutdown', async () => {
    const fx = await startHub();
    const c = await client(wsUrl(fx));
    await fx.close();
    assert.deepEqual(await withinMs(c.closed, 10_000, 'close'), { code: 1001, reason: 'shutdown' });
  });

  test('a message while publishing over the socket is off closes with 1008', async () => {
    const fx = await hub();
    const c = await client(wsUrl(fx));
    c.ws.send('topic=x&data=y');
    assert.equal((await withinMs(c.closed, 10_000, 'close')).code, 1008);
  });
});

describe('WebSocket keep-alive and slow consumers', () => {
  test('pings after silence: a client that answers stays, one that does not is closed', async () => {
    const fx = await hub({ heartbeatMs: 200 });
    const live = await client(wsUrl(fx));
    let pings = 0;
    live.ws.on('ping', () => pings++);
    const mute = await client(wsUrl(fx), { autoPong: false });
    const gone = await withinMs(mute.closed, 10_000, 'the mute client is closed');
    assert.equal(gone.code, 1006, 'its connection was closed, not a close frame');
    await until(() => pings >= 3, 'three pings to the answering client');
    assert.equal(live.ws.readyState, WebSocket.OPEN);
    live.ws.close();
  });

  test('a client that does not read is dropped as a slow consumer', async () => {
    const fx = await hub({ limits: { maxQueueBytes: 64 * 1024, writeTimeoutMs: 60_000 } });
    // A handshake by hand, then nothing is ever read.
    const socket: Socket = connect(fx.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /.well-known/mercure?match=${encodeURIComponent(TOPIC)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await once(socket, 'data');
    socket.pause();
    const big = 'x'.repeat(256 * 1024);
    const dropped = waitForMetric(
      `http://127.0.0.1:${fx.port}`,
      'tidings_dropped_subscribers_total',
      '{reason="slow_consumer"}',
      (v) => v === 1,
      30_000,
    );
    for (let i = 0; i < 200 && fx.hub.subscriberCount > 0; i++) {
      assert.equal((await fx.publish({ topic: TOPIC, data: big })).status, 200);
    }
    assert.equal(await dropped, 1);
    socket.destroy();
  });
});

describe('WebSocket authorization', () => {
  const cookieHub = () => hub({ ...SIGNED_HUB, anonymous: false });
  const cookie = async () => `mercureAuthorization=${await subscriberToken([TOPIC])}`;

  test("a cookie from another page's origin is refused 403 forbidden_origin, before any upgrade", async () => {
    const fx = await cookieHub();
    const refused = await WEBSOCKET.refusal(fx, `match=${encodeURIComponent(TOPIC)}`, {
      Cookie: await cookie(),
      Origin: 'https://elsewhere.example',
    });
    assertProblem(refused, 'forbidden_origin');
  });

  test("a cookie from the hub's own origin, or with no Origin (not a browser), is accepted", async () => {
    const fx = await cookieHub();
    for (const origin of [`http://127.0.0.1:${fx.port}`, undefined]) {
      const headers: Record<string, string> = { Cookie: await cookie() };
      if (origin !== undefined) headers.Origin = origin;
      const c = await client(wsUrl(fx), { headers });
      c.ws.close();
    }
  });

  test("the token's exp closes with 4001 token_expired", async () => {
    const fx = await hub(SIGNED_HUB);
    const token = await subscriberToken([TOPIC], { claims: { exp: nowSeconds() + 1 } });
    const c = await client(wsUrl(fx), { headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(await withinMs(c.closed, 10_000, 'close'), { code: 4001, reason: 'token_expired' });
  });
});

describe('WebSocket handshake and other upgrades', () => {
  test('a handshake of another version is refused 400 naming version 13', async () => {
    const fx = await hub();
    // The ws client always sends 13: ask by hand for version 8.
    const socket = connect(fx.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /.well-known/mercure?match=x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    await once(socket, 'close');
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /\r\nSec-WebSocket-Version: 13\r\n/i);
    assert.match(text, /"code":"bad_request"/);
  });

  test('another upgrade (h2c) is served as the plain request it is', async () => {
    const fx = await hub();
    const socket = connect(fx.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET /healthz HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
    );
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    await once(socket, 'close');
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /\r\n\r\n3\r\nok\n\r\n0\r\n\r\n$/);
  });
});

describe('WebSocket options and embedding', () => {
  test('permessage-deflate, when on, is negotiated without context takeover; every client gets the same update', async () => {
    const fx = await hub({ websocket: { perMessageDeflate: true } });
    let negotiated = '';
    const offering = new WebSocket(wsUrl(fx));
    offering.on('upgrade', (res) => {
      negotiated = String(res.headers['sec-websocket-extensions']);
    });
    await once(offering, 'open');
    offering.close();
    await once(offering, 'close');
    assert.match(negotiated, /^permessage-deflate; server_no_context_takeover/);
    const deflating = await client(wsUrl(fx));
    const plain = await client(wsUrl(fx), { perMessageDeflate: false });
    assert.equal(deflating.ws.extensions, 'permessage-deflate');
    assert.equal(plain.ws.extensions, '');
    const data = JSON.stringify({ text: 'a long update '.repeat(300) });
    const id = (await fx.publish({ topic: TOPIC, data })).body;
    const second = (await fx.publish({ topic: TOPIC, data: `${data}!` })).body;
    for (const c of [deflating, plain]) {
      await until(() => c.messages.length === 2, 'two messages');
      assert.deepEqual(
        c.messages.map((m) => JSON.parse(m) as unknown),
        [
          { id, data },
          { id: second, data: `${data}!` },
        ],
      );
    }
    // Compressed on the wire: the deflating client read a fraction of the plain one's bytes.
    const read = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket.bytesRead;
    assert.ok(read(deflating.ws) * 4 < read(plain.ws), `${read(deflating.ws)} vs ${read(plain.ws)} bytes`);
    deflating.ws.close();
    plain.ws.close();
  });

  test('publishing over the socket, when on: each message a POST body, each answered in order', async () => {
    const fx = await hub({ websocket: { publish: true } });
    const c = await client(wsUrl(fx));
    c.ws.send(new URLSearchParams({ topic: TOPIC, data: 'over the socket', id: 'ws-1' }).toString());
    c.ws.send(new URLSearchParams({ topic: '', data: 'no topic' }).toString());
    c.ws.send(new URLSearchParams({ topic: TOPIC, data: 'second', type: 'mercure' }).toString());
    await until(() => c.messages.length === 4, 'the update and three answers');
    // The answer and the update itself may come in either order: both are there.
    const all = c.messages.map((m) => JSON.parse(m) as Record<string, unknown>);
    assert.ok(
      all.some((m) => m?.published === 'ws-1'),
      `published: ${c.messages.join(' | ')}`,
    );
    assert.ok(
      all.some((m) => m?.id === 'ws-1' && m.data === 'over the socket'),
      `delivered: ${c.messages.join(' | ')}`,
    );
    const problems = c.messages
      .map((m) => JSON.parse(m) as { problem?: { code: string } })
      .filter((m) => m.problem !== undefined)
      .map((m) => m.problem!.code);
    assert.deepEqual(problems, ['invalid_topic', 'invalid_type'], 'the problems a POST would get, in order');
    c.ws.close();
  });

  test('attach(): WebSocket subscribes on an app server, whose other upgrades stay its own', async () => {
    const h = await createHub({ heartbeatMs: 0 });
    const server = createServer((_req, res) => res.end('app'));
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n'));
    h.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const c = await client(`ws://127.0.0.1:${port}/.well-known/mercure?match=${encodeURIComponent(TOPIC)}`);
      const id = await h.publish({ topics: [TOPIC], data: 'attached' });
      await until(() => c.messages.length === 1, 'the update');
      assert.deepEqual(JSON.parse(c.messages[0]!), { id, data: 'attached' });
      c.ws.close();
      const other = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
      const [, res] = (await once(other, 'unexpected-response')) as [unknown, { statusCode: number }];
      assert.equal(res.statusCode, 418, "the app's own upgrade listener answered");
    } finally {
      await h.close();
      server.close();
    }
  });
});

async function until(ready: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
