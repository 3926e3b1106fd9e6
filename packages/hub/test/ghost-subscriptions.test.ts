/**
 * Issue 10, item 4: no ghost subscriptions. A stream that closes at any step of the subscribe
 * path (authentication, waiting for a replay slot, reading history, opening) must leave the
 * Active Subscriptions listing equal to the live streams: every subscription announced is
 * announced gone, and none is listed without a live stream behind it, at any moment.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { type Authenticator, LocalEngine, MemoryStore, type SubscriptionInfo } from '@tidings/hub';
import { GatedStore } from './support/gated-store.js';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { connectTo } from './support/raw-http.js';
import { waitForMetric } from './support/read-metrics.js';

const TOPIC = 'https://example.com/ghost';
const TARGET = `/.well-known/mercure?topic=${encodeURIComponent(TOPIC)}`;

/** An authenticator that lets everyone in anonymously, once the test opens its gate. */
class GatedAuthenticator implements Authenticator {
  waiting = 0;
  #open: (() => void)[] = [];
  #held = false;

  hold(): void {
    this.#held = true;
  }

  open(): void {
    this.#held = false;
    for (const go of this.#open.splice(0)) go();
  }

  async authenticate(): Promise<undefined> {
    if (!this.#held) return undefined;
    this.waiting++;
    await new Promise<void>((resolve) => this.#open.push(resolve));
    this.waiting--;
    return undefined;
  }
}

interface Rig {
  readonly fx: HubFixture;
  readonly store: GatedStore;
  readonly auth: GatedAuthenticator;
  /** Problems seen by the listener checking the listing at every announcement. */
  readonly violations: string[];
  /** Subscription ids announced active and not yet announced gone. */
  readonly open: Set<string>;
}

async function rig(): Promise<Rig> {
  const store = new GatedStore(new MemoryStore());
  const auth = new GatedAuthenticator();
  const fx = await startHub({
    engine: new LocalEngine(store),
    authenticator: auth,
    anonymous: true,
    limits: { maxConcurrentReplays: 1 },
  });
  const violations: string[] = [];
  const open = new Set<string>();
  fx.hub.onSubscriptionChange((info: SubscriptionInfo) => {
    if (info.active) {
      if (open.has(info.id)) violations.push(`${info.id} announced twice`);
      open.add(info.id);
    } else if (!open.delete(info.id)) {
      violations.push(`${info.id} announced gone before (or without) being announced`);
    }
    // At every announcement: nothing listed without a live stream behind it.
    const listed = fx.hub.subscriptions().length;
    if (listed > fx.hub.subscriberCount) {
      violations.push(
        `${listed} listed, ${fx.hub.subscriberCount} live (after ${info.active ? 'open' : 'close'})`,
      );
    }
  });
  return { fx, store, auth, violations, open };
}

async function waitUntil(what: () => boolean, label: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!what()) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The hub's server has seen every connection close (its count of open connections is 0). */
async function connectionsClosed(r: Rig, label: string, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  const open = () =>
    new Promise<number>((resolve, reject) =>
      r.fx.hub.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  while ((await open()) > 0) {
    if (Date.now() > end) assert.fail(`timed out waiting: ${label}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** The hub has settled with no live stream: the listing must be empty, every announcement ended. */
async function assertNoGhost(r: Rig, label: string): Promise<void> {
  await waitUntil(() => r.fx.hub.subscriberCount === 0, `${label}: no live subscriber`);
  // Give anything still in flight for this request a few turns to run (it must not announce).
  for (let i = 0; i < 5; i++) await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.violations, [], `${label}: the listing followed the live streams`);
  assert.deepEqual(
    r.fx.hub.subscriptions().map((s) => s.id),
    [],
    `${label}: nothing listed once every stream is gone`,
  );
  assert.equal(r.open.size, 0, `${label}: every subscription announced was announced gone`);
}

function request(target: string, extra = '', version = '1.1'): string {
  return `GET ${target} HTTP/${version}\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${extra}\r\n`;
}

async function send(r: Rig, bytes: string): Promise<Socket> {
  const socket = await connectTo(r.fx.port);
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.write(bytes);
  return socket;
}

async function withRig(body: (r: Rig) => Promise<void>): Promise<void> {
  const r = await rig();
  try {
    await body(r);
  } finally {
    r.auth.open();
    r.store.open();
    await r.fx.close();
  }
}

describe('ghost subscriptions (issue 10)', () => {
  test('a subscribe pipelined behind another subscribe', () =>
    withRig(async (r) => {
      // Both wait for their token check; the first then takes the connection, and node:http
      // cannot stream the second (its response is queued behind a stream that never ends).
      r.auth.hold();
      const socket = await send(r, `${request(`${TARGET}&n=1`)}${request(`${TARGET}&n=2`)}`);
      await waitUntil(() => r.auth.waiting >= 1, 'the first subscribe waits for its token check');
      r.auth.open();
      await waitUntil(() => r.fx.hub.subscriberCount >= 1, 'the first stream is open');
      socket.destroy();
      await assertNoGhost(r, 'pipelined');
    }));

  test('an HTTP/1.0 subscribe, closed by the client', () =>
    withRig(async (r) => {
      const socket = await send(r, request(TARGET, '', '1.0'));
      await waitUntil(() => r.fx.hub.subscriberCount === 1, 'the HTTP/1.0 stream is open');
      socket.destroy();
      await assertNoGhost(r, 'HTTP/1.0');
    }));

  for (const resume of [false, true]) {
    test(`a client that leaves while authenticated${resume ? ' (resume)' : ''}`, () =>
      withRig(async (r) => {
        r.auth.hold();
        const socket = await send(r, request(TARGET, resume ? 'Last-Event-ID: x\r\n' : ''));
        await waitUntil(() => r.auth.waiting === 1, 'the subscribe waits for its token check');
        socket.destroy();
        // The close has reached the hub before the token check ends (waited for, not slept for).
        await connectionsClosed(r, 'the hub saw the client leave');
        r.auth.open();
        await assertNoGhost(r, 'closed during authentication');
      }));
  }

  test('a resume that leaves while waiting for a replay slot, and one that leaves while reading history', () =>
    withRig(async (r) => {
      await r.fx.publish({ topic: TOPIC, id: 'a', data: '1' });
      r.store.hold();
      const reading = await send(r, request(TARGET, 'Last-Event-ID: a\r\n'));
      await waitUntil(() => r.store.held === 1, 'the first resume reads history');
      const waiting = await send(r, request(TARGET, 'Last-Event-ID: a\r\n'));
      await waitUntil(() => r.fx.hub.subscriberCount === 1 && r.store.reads.length === 1, 'one reading');
      await waitForMetric(r.fx.url, 'tidings_replays_waiting', '', (v) => v === 1, 15_000);
      waiting.destroy();
      reading.destroy();
      // Both closes have reached the hub before the history read ends.
      await connectionsClosed(r, 'the hub saw both clients leave');
      r.store.open();
      await assertNoGhost(r, 'closed waiting for a slot and while reading history');
    }));

  test('closes at every instant around open: many subscribes closed right after sending', () =>
    withRig(async (r) => {
      const sockets: Socket[] = [];
      for (let i = 0; i < 40; i++) {
        const socket = await send(r, request(`${TARGET}&n=${i}`, i % 2 === 0 ? 'Last-Event-ID: x\r\n' : ''));
        // Spread the closes over the path: now, after a turn, after a few ms.
        if (i % 3 === 0) socket.destroy();
        else if (i % 3 === 1) setImmediate(() => socket.destroy());
        else setTimeout(() => socket.destroy(), i % 7);
        sockets.push(socket);
      }
      await waitUntil(() => sockets.every((s) => s.destroyed), 'every client closed');
      await assertNoGhost(r, 'racing closes');
    }));
});
