/**
 * Issue 12 item 1: the subscription core (src/subscribe/) is transport-neutral. These tests
 * drive it with no HTTP at all: a long-poll-style sink kept in memory, whose framing is JSON
 * (one object per line), not SSE. Admission and caps, resume with no gap and no duplicate,
 * expiry at the token's `exp`, unregistration exactly once: the same core the SSE sinks use.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, describe, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { Broker } from '../src/broker/broker.js';
import { SubscriptionHost } from '../src/broker/subscription-host.js';
import { SubscriptionRegistry } from '../src/broker/subscription-registry.js';
import { LocalEngine } from '../src/engine/local-engine.js';
import { HubError } from '../src/errors.js';
import type { HubContext } from '../src/hub-context.js';
import { DEFAULT_LIMITS, type Limits } from '../src/limits.js';
import type { Update } from '../src/model/update.js';
import { CorsPolicy } from '../src/ops/cors.js';
import { Metrics } from '../src/ops/metrics.js';
import { RateLimiter } from '../src/ops/rate-limiter.js';
import { ReplayGate } from '../src/ops/replay-gate.js';
import { MemoryStore } from '../src/store/memory-store.js';
import type { CloseReason, Framing, Opening, Sink, SinkOwner } from '../src/stream/sink.js';
import { createUpdate } from '../src/stream/update-frame.js';
import { admit } from '../src/subscribe/admission.js';
import { startSubscription } from '../src/subscribe/start-subscription.js';
import { subscribeParams } from '../src/subscribe/subscribe-params.js';

const TOPIC = 'https://example.com/books/1';

/** Each update encoded once for this framing, whatever the number of subscribers. */
const encoded = new WeakMap<Update, Buffer>();

/** One JSON object per line: what a long-poll response would concatenate into an array. */
const JSON_LINES: Framing = {
  event(u: Update): Buffer {
    let bytes = encoded.get(u);
    if (bytes === undefined) {
      bytes = Buffer.from(`${JSON.stringify({ id: u.id, topic: u.topics[0], data: u.data })}\n`);
      encoded.set(u, bytes);
    }
    return bytes;
  },
  sharesUpdateChunk: false,
  preamble: () => undefined,
  heartbeat: undefined,
};

/**
 * A long poll: the response is the events of the first write (all updates of one event-loop
 * turn come as one write), then it ends and the client polls again with the last id. Never
 * blocked: a whole answer is held in memory anyway.
 */
class LongPollSink implements Sink {
  owner: SinkOwner | undefined;
  readonly framing = JSON_LINES;
  closed = false;
  readonly blocked = false;
  opening: Opening | undefined;
  reason: CloseReason | undefined;
  readonly events: { id: string; topic: string; data: string }[] = [];
  /** Resolves with the events once the poll is answered (or the sink closed). */
  readonly answered: Promise<LongPollSink['events']>;
  #answer!: (events: LongPollSink['events']) => void;

  constructor(readonly endAfterFirstWrite: boolean) {
    this.answered = new Promise((resolve) => {
      this.#answer = resolve;
    });
  }

  write(bytes: Buffer): boolean {
    if (this.closed) return false;
    for (const line of bytes.toString('utf8').split('\n'))
      if (line !== '') this.events.push(JSON.parse(line));
    if (this.endAfterFirstWrite) this.close('client');
    return true;
  }

  whenWritable(): Promise<void> {
    return Promise.resolve();
  }

  open(opening: Opening): void {
    this.opening = opening;
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.reason = reason;
    this.#answer(this.events);
    this.owner?.sinkClosed(reason);
  }

  destroy(): void {
    this.close('shutdown');
  }
}

/** The departure signal of a client that never leaves. */
const STAYS = { once: () => undefined, off: () => undefined, destroyed: false };

/** A hub's context without any server: engine, broker, caps, and a fixed principal. */
function coreContext(limits: Partial<Limits> = {}, principal?: Principal) {
  const all: Limits = { ...DEFAULT_LIMITS, ...limits };
  const engine = new LocalEngine(new MemoryStore({ size: 100 }));
  const broker = new Broker();
  const metrics = new Metrics();
  const hubUrl = 'https://hub.example/.well-known/mercure';
  const selectorLimits = { ...all, hubUrl };
  const ctx: HubContext = {
    engine,
    broker,
    registry: new SubscriptionRegistry(),
    authenticator: { authenticate: async () => principal },
    publisherAuth: false,
    anonymous: principal === undefined,
    subscriberTokensIgnored: false,
    limits: all,
    hubUrl,
    selectorLimits,
    conflate: undefined,
    cors: new CorsPolicy([]),
    publishOrigins: new CorsPolicy([]),
    publishLimiter: new RateLimiter(0, 1, Date.now),
    tokenPublishLimiter: new RateLimiter(0, 1, Date.now),
    metrics,
    replays: new ReplayGate(all.maxConcurrentReplays, all.maxQueuedReplays),
    subscriptionHost: new SubscriptionHost({
      broker,
      metrics,
      maxQueueEvents: all.maxQueueEvents,
      conflate: undefined,
      announce: () => {},
    }),
    sinkOptions: { maxQueueBytes: all.maxQueueBytes, maxQueueEvents: all.maxQueueEvents, writeTimeoutMs: 0 },
    metadataUrl: 'https://hub.example/.well-known/oauth-protected-resource',
    warnedOnce: new Set(),
    logger: { debug() {}, warn() {}, error() {}, info() {} } as unknown as HubContext['logger'],
    heartbeatMs: 0,
    retryMs: 2000,
    subscriptionsEnabled: false,
    trustProxy: false,
    now: Date.now,
    shuttingDown: () => false,
    published: undefined,
    announce: () => {},
  };
  engine.onUpdate((u) => broker.dispatch(u));
  return { ctx, engine, close: () => metrics.close() };
}

/** A subscribe as any transport hands it over: a query, headers, a peer address. */
function request(query: string, headers: Record<string, string> = {}) {
  const url = new URL(`/.well-known/mercure?${query}`, 'http://hub.invalid');
  const message = { headers, url: url.pathname + url.search, socket: { remoteAddress: '10.0.0.1' } };
  return { message: message as unknown as IncomingMessage, url, params: subscribeParams(url) };
}

function publish(engine: LocalEngine, id: string, data: string): Promise<void> {
  return engine.publish(createUpdate({ topics: [TOPIC], data, private: false, id }));
}

describe('subscription core without a transport of its own', () => {
  const closers: (() => void)[] = [];
  after(() => {
    for (const close of closers) close();
  });

  test('a long poll is answered with the next update, then unregistered exactly once', async () => {
    const { ctx, engine, close } = coreContext();
    closers.push(close);
    const admission = await admit(ctx, request(`match=${encodeURIComponent(TOPIC)}`));
    const sink = new LongPollSink(true);
    assert.equal(await startSubscription(ctx, admission, sink, STAYS), undefined, 'live: nothing to replay');
    assert.equal(ctx.broker.size, 1);
    assert.equal(sink.opening?.continueFrom, undefined);
    await publish(engine, 'u-1', 'hello');
    assert.deepEqual(await sink.answered, [{ id: 'u-1', topic: TOPIC, data: 'hello' }]);
    assert.equal(sink.reason, 'client');
    assert.equal(ctx.broker.size, 0, 'unregistered');
    assert.equal(ctx.broker.countForClient('10.0.0.1'), 0, 'its place against the caps given back');
    sink.close('shutdown');
    assert.equal(ctx.broker.size, 0, 'a second close unregisters nothing');
    assert.equal(ctx.metrics.subscriptionsOpened, 1);
  });

  test('a resume replays history, then the update published meanwhile: no gap, no duplicate', async () => {
    const { ctx, engine, close } = coreContext();
    closers.push(close);
    for (const id of ['a', 'b', 'c']) await publish(engine, id, `data ${id}`);
    const admission = await admit(ctx, request(`match=${encodeURIComponent(TOPIC)}&lastEventID=a`));
    const sink = new LongPollSink(false);
    const replay = await startSubscription(ctx, admission, sink, STAYS);
    assert.ok(replay !== undefined, 'a resume has history to replay');
    assert.equal(sink.opening?.continueFrom, 'a', 'the cursor was found');
    // Registered (holding live updates) before history was read: 'd' is held, not lost.
    await publish(engine, 'd', 'data d');
    await replay();
    assert.deepEqual(
      sink.events.map((e) => e.id),
      ['b', 'c', 'd'],
    );
    await publish(engine, 'e', 'data e');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      sink.events.map((e) => e.id),
      ['b', 'c', 'd', 'e'],
      'live after replay, each update once',
    );
    assert.equal(ctx.metrics.replayHits, 1);
    sink.close('client');
    assert.equal(ctx.broker.size, 0);
  });

  test('refusals are thrown before anything is registered or written', async () => {
    const { ctx, close } = coreContext({ maxSubscribers: 1 });
    closers.push(close);
    await assert.rejects(admit(ctx, request('foo=bar')), (e: HubError) => e.code === 'missing_selector');
    const first = new LongPollSink(false);
    await startSubscription(
      ctx,
      await admit(ctx, request(`match=${encodeURIComponent(TOPIC)}`)),
      first,
      STAYS,
    );
    await assert.rejects(
      admit(ctx, request(`match=${encodeURIComponent(TOPIC)}`)),
      (e: HubError) => e instanceof HubError && e.code === 'too_many_subscribers',
    );
    assert.equal(ctx.broker.admitted, 1, 'the refused one holds no place');
    first.close('client');
    assert.equal(ctx.broker.admitted, 0);
  });

  test("the sink is closed at the token's exp, counted as a drop, and unregistered", async () => {
    const principal: Principal = {
      expiresAt: (Date.now() + 200) / 1000,
      publish: [],
      subscribe: [],
      payloads: [],
      source: 'header',
    };
    const { ctx, close } = coreContext({}, principal);
    closers.push(close);
    const sink = new LongPollSink(false);
    await startSubscription(
      ctx,
      await admit(ctx, request(`match=${encodeURIComponent(TOPIC)}`)),
      sink,
      STAYS,
    );
    assert.equal(ctx.broker.size, 1);
    // The hub's timers do not hold the process: this one does, and fails the test if exp is missed.
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([
      sink.answered,
      new Promise((_, reject) => {
        deadline = setTimeout(() => reject(new Error('not closed by exp within 5 s')), 5000);
      }),
    ]);
    clearTimeout(deadline);
    assert.equal(sink.reason, 'token_expired');
    assert.equal(ctx.broker.size, 0);
    assert.equal(ctx.metrics.dropped.get('token_expired'), 1);
  });
});
