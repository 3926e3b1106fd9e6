/**
 * Issue 13 item 1: form publishes on a keep-alive connection are read and answered on the raw
 * socket (routes/raw-publish.ts), pipelined requests parsed off each read and their answers
 * written in request order, byte for byte what node:http writes; the first request that is not
 * a plain form publish, and everything after it, is node:http's.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HistoryFilter,
  type HistoryRead,
  type HistoryStore,
  LocalEngine,
  MemoryStore,
  type Update,
} from '@tidings/hub';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { JitteryStore } from './support/jittery-store.js';
import { connectTo } from './support/raw-http.js';
import { publisherToken, SIGNED_HUB } from './support/sign-token.js';

const TOPIC = 'https://example.com/raw-publish';

/** A form publish as a publisher library sends it (keep-alive, Content-Length). */
function publishRequest(fields: string, extra = ''): string {
  return (
    'POST /.well-known/mercure HTTP/1.1\r\nHost: hub.test\r\n' +
    'Content-Type: application/x-www-form-urlencoded\r\n' +
    `Content-Length: ${Buffer.byteLength(fields)}\r\n${extra}\r\n${fields}`
  );
}

function form(id: string, data = 'x'): string {
  return `topic=${encodeURIComponent(TOPIC)}&id=${encodeURIComponent(id)}&data=${encodeURIComponent(data)}`;
}

/** The answers in a byte stream: status, headers and body of each (chunked or by length). */
function answers(raw: Buffer): { status: number; head: string; body: string }[] {
  const out: { status: number; head: string; body: string }[] = [];
  let text = raw.toString('utf8');
  while (text.length > 0) {
    const end = text.indexOf('\r\n\r\n');
    if (end === -1) break;
    const head = text.slice(0, end);
    let rest = text.slice(end + 4);
    let body = '';
    const length = /\r\nContent-Length: (\d+)/i.exec(head);
    if (length) {
      body = rest.slice(0, Number(length[1]));
      rest = rest.slice(Number(length[1]));
    } else {
      for (;;) {
        const line = rest.indexOf('\r\n');
        const size = Number.parseInt(rest.slice(0, line), 16);
        rest = rest.slice(line + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    }
    out.push({ status: Number(head.slice(9, 12)), head, body });
    text = rest;
  }
  return out;
}

/** Writes `parts` on one connection (`gapMs` apart) and reads until `count` answers came. */
async function exchange(port: number, parts: string[], count: number, gapMs = 0) {
  const socket = await connectTo(port);
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (b: Buffer) => chunks.push(b));
  socket.on('close', () => {
    closed = true;
  });
  for (const part of parts) {
    socket.write(part);
    if (gapMs > 0) await sleep(gapMs);
  }
  const deadline = Date.now() + 10_000;
  while (answers(Buffer.concat(chunks)).length < count && !closed && Date.now() < deadline) await sleep(5);
  const got = answers(Buffer.concat(chunks));
  return { got, socket, closed: () => closed };
}

/** Dates differ by the second, generated ids always: what is left must be equal. */
function normalized(head: string): string {
  return head.replace(/\r\nDate: [^\r]*/, '\r\nDate: -');
}

describe('raw publish intake', () => {
  const hubs: HubFixture[] = [];
  after(async () => {
    for (const fx of hubs) await fx.close();
  });
  async function hub(options: Parameters<typeof startHub>[0] = {}): Promise<HubFixture> {
    const fx = await startHub(options);
    hubs.push(fx);
    return fx;
  }

  test('answers 200 pipelined publishes in request order, though the store acknowledges them out of order', async () => {
    const fx = await hub({ engine: new LocalEngine(new JitteryStore(new MemoryStore(), 20)) });
    const ids = Array.from({ length: 200 }, (_, k) => `urn:raw:${k}`);
    // One write holding every request: they are parsed off the socket at once.
    const { got, socket } = await exchange(
      fx.port,
      [ids.map((id) => publishRequest(form(id))).join('')],
      200,
    );
    socket.destroy();
    assert.equal(got.length, 200);
    assert.deepEqual(
      got.map((a) => [a.status, a.body]),
      ids.map((id) => [200, id]),
    );
    const stored = await fx.hub.engine.history.readAfter('earliest', 1000);
    assert.deepEqual(
      stored.updates.map((u) => u.id),
      ids,
    );
  });

  test('writes the bytes node:http writes, success and refusal, and keeps the connection', async () => {
    const fx = await hub();
    const bad = 'data=no-topic';
    // Transfer-Encoding: chunked is not a plain publish: node:http answers the same requests.
    const chunked = (fields: string) =>
      'POST /.well-known/mercure HTTP/1.1\r\nHost: hub.test\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      `Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(fields).toString(16)}\r\n${fields}\r\n0\r\n\r\n`;
    const raw = await exchange(fx.port, [publishRequest(form('urn:raw:a')) + publishRequest(bad)], 2);
    const http = await exchange(fx.port, [chunked(form('urn:raw:b')) + chunked(bad)], 2);
    assert.equal(raw.got.length, 2);
    assert.deepEqual(
      raw.got.map((a) => normalized(a.head)),
      http.got.map((a) => normalized(a.head)),
    );
    assert.deepEqual(
      raw.got.map((a) => a.body),
      ['urn:raw:a', http.got[1]!.body],
    );
    assert.equal(raw.got[1]!.status, 400);
    assert.equal(raw.closed(), false, 'a refused publish keeps its connection');
    raw.socket.destroy();
    http.socket.destroy();
  });

  test('hands the first request that is not a plain publish, and what follows, to node:http, in order', async () => {
    const fx = await hub();
    const parts = [
      publishRequest(form('urn:raw:1')),
      publishRequest(form('urn:raw:2')) + 'GET /healthz HTTP/1.1\r\nHost: hub.test\r\n\r\n',
      publishRequest(form('urn:raw:3')),
      publishRequest(form('urn:raw:4'), 'Connection: close\r\n'),
    ];
    const { got, socket, closed } = await exchange(fx.port, parts, 5, 20);
    socket.destroy();
    assert.deepEqual(
      got.map((a) => [a.status, a.body]),
      [
        [200, 'urn:raw:1'],
        [200, 'urn:raw:2'],
        [200, 'ok\n'],
        [200, 'urn:raw:3'],
        [200, 'urn:raw:4'],
      ],
    );
    assert.match(got[4]!.head, /\r\nConnection: close/i);
    await sleep(50);
    assert.equal(closed(), true, 'node:http closed after Connection: close');
  });

  test('judges each head anew when it changes: a valid token, a forged one, one for another topic, none', async () => {
    const fx = await hub({ ...SIGNED_HUB });
    const good = await publisherToken([TOPIC]);
    const other = await publisherToken(['https://example.com/elsewhere']);
    const auth = (token: string) => `Authorization: Bearer ${token}\r\n`;
    // Identical heads (the parsed head is reused) and changed heads, one connection, one write.
    // The forged token is as long as the good one: only the bytes tell the heads apart.
    // Forged: one signature character changed at its start, where every character carries six bits
    // of the signature (changing the last two, as this test once did, leaves the same bytes about
    // once in a thousand: the last character's low bits are padding, and the hub then rightly
    // accepts the token).
    const dot = good.lastIndexOf('.') + 1;
    const forged = `${good.slice(0, dot)}${good[dot] === 'A' ? 'B' : 'A'}${good.slice(dot + 1)}`;
    const heads = [auth(good), auth(good), auth(forged), auth(other), '', auth(good)];
    const { got, socket } = await exchange(
      fx.port,
      [heads.map((h, k) => publishRequest(form(`urn:raw:auth-${k}`), h)).join('')],
      heads.length,
    );
    socket.destroy();
    assert.deepEqual(
      got.map((a) => a.status),
      [200, 200, 401, 403, 401, 200],
    );
  });

  test('reads requests split anywhere, byte by byte included', async () => {
    const fx = await hub();
    const text = publishRequest(form('urn:raw:split-1', 'é ü')) + publishRequest(form('urn:raw:split-2'));
    const bytes = Buffer.from(text, 'utf8');
    const socket = await connectTo(fx.port);
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    // The first read holds the request line (that is what makes the connection a raw publish's),
    // then one byte per write.
    socket.write(bytes.subarray(0, 40));
    await sleep(20);
    for (let i = 40; i < bytes.length; i++) {
      socket.write(bytes.subarray(i, i + 1));
      if (i % 16 === 0) await sleep(1);
    }
    const deadline = Date.now() + 10_000;
    while (answers(Buffer.concat(chunks)).length < 2 && Date.now() < deadline) await sleep(5);
    socket.destroy();
    assert.deepEqual(
      answers(Buffer.concat(chunks)).map((a) => a.body),
      ['urn:raw:split-1', 'urn:raw:split-2'],
    );
    const stored = await fx.hub.engine.history.readAfter('earliest', 10);
    assert.equal(stored.updates[0]!.data, 'é ü');
  });

  test("an incomplete publish gets 408 at node:http's deadlines: the head at headersTimeout, the body at requestTimeout", async () => {
    const fx = await hub({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 1_200 } });
    const full = publishRequest(form('urn:raw:slow'));
    const cases = [
      { what: 'head', bytes: full.slice(0, full.indexOf('\r\n\r\n')), min: 300, max: 1_100 },
      { what: 'body', bytes: full.slice(0, full.length - 3), min: 1_200, max: 3_000 },
    ];
    for (const c of cases) {
      const started = Date.now();
      const { got, closed } = await exchange(fx.port, [c.bytes], 1);
      const elapsed = Date.now() - started;
      assert.equal(got[0]?.status, 408, `${c.what}: ${JSON.stringify(got)}`);
      assert.ok(elapsed >= c.min - 20 && elapsed < c.max, `${c.what}: 408 after ${elapsed} ms`);
      await sleep(50);
      assert.equal(closed(), true);
    }
    const stored = await fx.hub.engine.history.readAfter('earliest', 10);
    assert.equal(stored.updates.length, 0, 'nothing was published');
  });

  test('on close(), a publish under way is answered before its connection closes', async () => {
    const held = new HeldStore();
    const fx = await startHub({ engine: new LocalEngine(held) });
    const socket = await connectTo(fx.port);
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('close', () => {
      closed = true;
    });
    socket.write(publishRequest(form('urn:raw:held')));
    while (held.waiting === 0) await sleep(5);
    const closing = fx.close();
    await sleep(50);
    held.release();
    await closing;
    while (!closed) await sleep(5);
    assert.deepEqual(
      answers(Buffer.concat(chunks)).map((a) => [a.status, a.body]),
      [[200, 'urn:raw:held']],
    );
  });
});

/** A memory store whose appends wait until the test releases them. */
class HeldStore implements HistoryStore {
  readonly #inner = new MemoryStore();
  #release: (() => void) | undefined;
  readonly #gate = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  waiting = 0;

  async append(update: Update): Promise<void> {
    this.waiting++;
    await this.#gate;
    return this.#inner.append(update);
  }

  release(): void {
    this.#release?.();
  }

  readAfter(afterId: string, limit: number, filter?: HistoryFilter): Promise<HistoryRead> {
    return this.#inner.readAfter(afterId, limit, filter);
  }

  lastId(): Promise<string | undefined> {
    return this.#inner.lastId();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
