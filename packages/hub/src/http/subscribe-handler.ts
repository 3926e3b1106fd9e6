import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { payloadFor } from '../auth/payload-for.js';
import type { Principal } from '../auth/principal.js';
import { HubError } from '../errors.js';
import type { HubContext } from '../hub-context.js';
import { MAX_RATE, MIN_RATE, RateGroups } from '../pubsub/conflation.js';
import type { Selector } from '../pubsub/selector.js';
import { type ConflatePolicy, Subscriber, type SubscriberHost } from '../pubsub/subscriber.js';
import { type SubscriptionInfo, subscriptionInfo } from '../pubsub/subscription-info.js';
import type { Update } from '../pubsub/update.js';
import type { HistoryFilter, HistoryRead } from '../store/store.js';
import { encodeRetry } from '../stream/encode-event.js';
import { Heartbeats } from '../stream/heartbeats.js';
import { sseHeaders } from '../stream/sse-headers.js';
import { type CloseReason, SseStream, type SseStreamOptions } from '../stream/sse-stream.js';
import { clientKey } from './client-key.js';
import { idHeaderValue, lastEventIdFromHeader } from './header-value.js';
import { ignoredTokenHeaders } from './ignored-token.js';
import { readBody } from './read-body.js';
import { redactUrl } from './redact-url.js';
import type { Departure, Release } from './replay-gate.js';
import {
  compileSelectors,
  isPattern,
  type SelectorRequest,
  selectorRequests,
} from './selectors-from-query.js';
import type { SubscribeHead } from './subscribe-head.js';
import { readQueryBody, type SubscribeParams, subscribeParams } from './subscribe-params.js';

/** How long replayed ids are remembered to skip a late live copy (ms). */
const REPLAY_GRACE_MS = 30_000;
/** Replayed events are written in batches of about this many bytes. */
const REPLAY_WRITE_BYTES = 64 * 1024;

interface Admission {
  readonly selectors: readonly Selector[];
  /** `maxRate` (events per second), when the subscriber asked for one. */
  readonly maxRate: number | undefined;
  readonly lastEventId: string | undefined;
  readonly principal: Principal | undefined;
  readonly key: string;
  /** Gives back the place this subscribe holds against the subscriber caps (`Broker.reserve`). */
  readonly release: () => void;
  /** The request target with tokens redacted, for the debug log. */
  readonly target: string;
  /** Headers added to the stream's answer (a development hub's Tidings-Token-Ignored). */
  readonly headers: Record<string, string>;
}

/**
 * GET (or QUERY, parameters in a form body) /.well-known/mercure: an SSE stream of the updates
 * matching the selectors.
 *
 * Order of work matters: the subscriber is registered (holding live updates) BEFORE history is
 * read, and headers are flushed right after, so a client that publishes on `open` is already
 * subscribed, and nothing published meanwhile is missed or sent twice.
 */
export async function handleSubscribe(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  // Refused on the raw socket already (subscribeRaw): the same answer, without doing it all again.
  const verdict = refusals.get(req.socket);
  if (verdict !== undefined) {
    refusals.delete(req.socket);
    throw verdict;
  }
  // Mercure "Subscription": a safe method whose form body carries the parameters (RFC 10008).
  const body =
    req.method === 'QUERY' ? await readQueryBody(req, ctx.limits.maxBodyBytes, readBody) : undefined;
  const admission = await admit(ctx, req, url, subscribeParams(url, body));
  // The client went away meanwhile. (Not `req.destroyed` for a QUERY: its request stream is
  // destroyed once its body has been read, its connection is not.)
  if (body === undefined ? req.destroyed : req.socket.destroyed) return admission.release();
  const stream = new SseStream(res, shared(ctx).options);
  const replay = await start(ctx, admission, stream, req.socket, {});
  if (replay !== undefined) await replay();
}

/**
 * The same subscribe on a raw socket whose head `http/stream-intake.ts` read (no node:http
 * objects kept for the stream's life). Resolves true once the stream is open or the client has
 * gone; false when the request must be answered otherwise (any error answer: validation, auth,
 * limits, history unavailable): nothing has been written then, and the caller hands the
 * connection and its bytes to node:http, which answers exactly as for any other request.
 */
export async function subscribeRaw(
  ctx: HubContext,
  head: SubscribeHead,
  socket: Socket,
  claim: () => boolean,
): Promise<boolean> {
  // The subset of IncomingMessage the subscribe path reads (headers, socket).
  const req = {
    method: 'GET',
    url: head.target,
    headers: head.headers,
    socket,
  } as unknown as IncomingMessage;
  let admission: Admission;
  try {
    admission = await admit(ctx, req, head.url, subscribeParams(head.url));
  } catch (err) {
    return refuse(socket, err);
  }
  if (socket.destroyed) {
    admission.release();
    return true;
  }
  const stream = new SseStream(socket, shared(ctx).options, head.http10);
  let replay: (() => Promise<void>) | undefined;
  try {
    replay = await start(ctx, admission, stream, socket, corsHeaders(ctx, head), claim);
  } catch (err) {
    stream.abandon();
    return socket.destroyed || refuse(socket, err);
  }
  replay?.().catch(() => stream.close('error'));
  return true;
}

/**
 * Refusals of raw-socket subscribes, for node:http to answer (it reads the same request from the
 * same socket next): the token is not verified twice, nor a resume queued twice. Other errors
 * are not kept: node:http evaluates the request afresh.
 */
const refusals = new WeakMap<Socket, HubError>();

function refuse(socket: Socket, err: unknown): false {
  if (err instanceof HubError) refusals.set(socket, err);
  return false;
}

/**
 * Validation, authentication and limits: throws the HubError to answer, writes nothing. Cheap
 * checks and the token come before compiling patterns (issue 10: a refused request must not cost
 * their compilation); the subscribe then holds a place against the caps until it is registered.
 */
async function admit(
  ctx: HubContext,
  req: IncomingMessage,
  url: URL,
  params: SubscribeParams,
): Promise<Admission> {
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  const { limits } = ctx;
  const requests = selectorRequests(params.pairs, limits.maxSelectorsPerSubscribe);
  const lastEventId = requestedLastEventId(req, params, limits.maxLastEventIdLength);
  const maxRate = requestedMaxRate(params.pairs);

  const principal = await ctx.authenticator.authenticate(req, url, 'subscriber');
  const headers = ctx.subscriberTokensIgnored ? ignoredTokenHeaders(ctx, req, url, 'subscriber') : {};
  if (principal === undefined && !ctx.anonymous) {
    throw new HubError('missing_token', 'subscribing needs an access token', {
      'WWW-Authenticate': bearerChallenge(),
    });
  }

  const key = clientKey(req, ctx.trustProxy);
  // Refused streams also give their connection back: it is the scarce resource here.
  if (ctx.broker.admitted >= limits.maxSubscribers) {
    throw new HubError('too_many_subscribers', undefined, {
      'Retry-After': retryAfter(),
      Connection: 'close',
    });
  }
  if (ctx.broker.countForClient(key) >= limits.maxSubscribersPerClient) {
    throw new HubError(
      'too_many_subscribers_client',
      `at most ${limits.maxSubscribersPerClient} streams per client`,
      { 'Retry-After': retryAfter(), Connection: 'close' },
    );
  }
  checkPatterns(ctx, requests);
  const selectors = shared(ctx).intern(compileSelectors(requests, ctx.selectorLimits));
  const target = redactUrl(req.url ?? '');
  return {
    selectors,
    maxRate,
    lastEventId,
    principal,
    key,
    target,
    headers,
    release: ctx.broker.reserve(key),
  };
}

/**
 * Every distinct pattern is evaluated against every new topic published (pubsub/topic-index.ts),
 * so their number, hub-wide, is what a publish costs: a subscribe that would take it past
 * `limits.maxPatterns` is refused, before its patterns are compiled. Patterns already subscribed
 * to cost nothing more, whoever asks for them again.
 */
function checkPatterns(ctx: HubContext, requests: readonly SelectorRequest[]): void {
  let added = 0;
  for (const r of requests) if (isPattern(r) && !ctx.broker.hasPattern(r.type, r.raw)) added++;
  if (added > 0 && ctx.broker.patternCount + added > ctx.limits.maxPatterns) {
    throw new HubError(
      'too_many_patterns',
      `the hub matches at most ${ctx.limits.maxPatterns} distinct URL patterns and URI templates`,
      { 'Retry-After': retryAfter(), Connection: 'close' },
    );
  }
}

/**
 * Registers the subscriber, reads the first page of history when resuming, and opens the
 * stream; resolves with the history still to write, if any. Throws (having written nothing, and
 * unregistered again) when history cannot be read or the replay queue is full.
 *
 * A resume first waits for a replay slot (http/replay-gate.ts), before it is registered: a
 * waiting resume holds nothing but its socket, and it is not sent live updates it would have to
 * hold. Its response head waits too, which a client cannot tell from a slow network.
 */
async function start(
  ctx: HubContext,
  admission: Admission,
  stream: SseStream,
  departure: Departure,
  extraHeaders: Record<string, string>,
  claim?: () => boolean,
): Promise<(() => Promise<void>) | undefined> {
  let slot: Release | undefined;
  try {
    if (admission.lastEventId !== undefined) {
      slot = await ctx.replays.acquire(departure);
      // The client left while it waited: nothing was registered or written.
      if (slot === undefined) return undefined;
    }
    const replay = await register(ctx, admission, stream, extraHeaders, claim);
    if (replay === undefined || slot === undefined) {
      slot?.();
      return undefined;
    }
    const held = slot;
    return () => replay(held, departure);
  } catch (err) {
    slot?.();
    throw err;
  } finally {
    // Registered by now, or never will be: the place held against the caps goes either way.
    admission.release();
  }
}

type Replay = (slot: Release, departure: Departure) => Promise<void>;

/** `start` once a resume has its replay slot. */
async function register(
  ctx: HubContext,
  admission: Admission,
  stream: SseStream,
  extraHeaders: Record<string, string>,
  claim?: () => boolean,
): Promise<Replay | undefined> {
  const { limits } = ctx;
  const { selectors, lastEventId, principal } = admission;
  const filter = lastEventId === undefined ? undefined : historyFilter(selectors);
  const sub = new Subscriber({
    id: `urn:uuid:${randomUUID()}`,
    clientKey: admission.key,
    selectors,
    principal,
    stream,
    host: shared(ctx),
    conflation:
      admission.maxRate === undefined ? undefined : shared(ctx).rates.conflation(admission.maxRate, stream),
    conflate: shared(ctx).conflate,
  });
  if (lastEventId !== undefined) sub.hold(limits.maxQueueEvents);
  // Hub.close() may have ended every stream while this request was being authenticated.
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  // Closed while it waited (authentication, replay slot): it had no owner to report to, so it
  // must not be registered now (issue 10, ghost subscriptions).
  if (stream.closed) return undefined;
  // A resume may have waited: other subscribes may have added patterns meanwhile.
  checkPatterns(ctx, selectors);
  ctx.broker.add(sub);
  admission.release();

  let page: HistoryRead | undefined;
  let continueFrom: string | undefined;
  if (lastEventId !== undefined) {
    try {
      page = await ctx.engine.history.readAfter(lastEventId, limits.replayPageSize, filter);
      // A private update this subscriber may not read is not confirmed to exist: its id is
      // answered as unknown (issue 10 item 7), as ids never seen are.
      if (page.found && page.at !== undefined && !sub.canRead(page.at)) {
        page = { found: false, updates: [], more: false };
      }
      if (page.found) {
        continueFrom = lastEventId;
      } else {
        // Unknown (never seen, trimmed, or history wiped): replay all we have, and say so.
        continueFrom = 'earliest';
        page = await ctx.engine.history.readAfter('earliest', limits.replayPageSize, filter);
      }
    } catch (err) {
      ctx.broker.remove(sub);
      sub.dispose();
      throw err instanceof HubError ? err : new HubError('store_unavailable');
    }
    // Counted once history was read: a raw request whose read failed is answered (and counted)
    // again by node:http.
    if (continueFrom === lastEventId) ctx.metrics.replayHits++;
    else ctx.metrics.replayMisses++;
  }
  ctx.metrics.subscriptionsOpened++;
  if (claim !== undefined && !claim()) stream.close('client');
  if (stream.closed) return undefined;

  const headers = { ...extraHeaders, ...admission.headers, ...sseHeaders() };
  if (continueFrom !== undefined) {
    // Current dialect and 0.x name of the same header (Mercure "Reconciliation").
    // Percent-encoded beyond visible ASCII (http/header-value.ts): ids never split a head.
    const carried = idHeaderValue(continueFrom);
    headers['Mercure-Last-Event-ID'] = carried;
    headers['Last-Event-ID'] = carried;
  }
  // Jittered retry spreads a reconnect storm after a restart (reference/bad-inputs.md).
  stream.open(headers, encodeRetry(ctx.retryMs * (1 + Math.random() * 0.5)));
  // A stream can end inside open() (its socket went, or node:http cannot stream this response):
  // it is unregistered already, and a subscription announced now would be listed forever.
  if (stream.closed) return undefined;
  scheduleEnd(ctx, sub, principal?.expiresAt);
  if (ctx.subscriptionsEnabled) {
    sub.announced = true;
    for (const info of infosOf(sub)) ctx.announce(info);
  }
  ctx.logger.debug(
    { subscriber: sub.id, client: admission.key, url: admission.target, resume: lastEventId !== undefined },
    'subscribe',
  );
  return page === undefined
    ? undefined
    : (slot, departure) => replay(ctx, sub, page, filter, { slot, departure });
}

/**
 * When every selector is an exact topic (the common case), history is read by topic: the store
 * may skip other topics' updates (store/store.ts `HistoryFilter`), so a resume costs in
 * proportion to what it replays, not to the whole history. Patterns read everything.
 */
function historyFilter(selectors: readonly Selector[]): HistoryFilter | undefined {
  for (const s of selectors) if (!s.exact || s.wildcard) return undefined;
  return { topics: new Set(selectors.map((s) => s.raw)) };
}

/** Distinct selector lists shared (`Shared.intern`); past this, the table starts over. */
const SHARED_LISTS = 1024;

/** What every stream of a hub shares: its options, and what a closed stream undoes. */
class Shared implements SubscriberHost {
  readonly #ctx: HubContext;
  readonly options: SseStreamOptions;
  readonly #lists = new Map<string, readonly Selector[]>();
  /** Maximum rates (pubsub/conflation.ts): the subscribers of one rate share one timer. */
  readonly rates: RateGroups;
  readonly conflate: ConflatePolicy | undefined;

  constructor(ctx: HubContext) {
    this.#ctx = ctx;
    const { limits } = ctx;
    this.rates = new RateGroups(limits.maxQueueEvents);
    const policy = ctx.conflate;
    if (policy !== undefined && policy.selectors.length > 0) {
      this.conflate = {
        covers: (u) => policy.selectors.some((s) => s.matches(u.topics[0]!)),
        start: (stream) => this.rates.conflation(policy.maxRate, stream),
      };
    }
    this.options = {
      heartbeats: ctx.heartbeatMs > 0 ? new Heartbeats(ctx.heartbeatMs) : undefined,
      maxQueueBytes: limits.maxQueueBytes,
      maxQueueEvents: limits.maxQueueEvents,
      writeTimeoutMs: limits.writeTimeoutMs,
      now: ctx.now,
    };
  }

  /**
   * The same selector list for every subscriber that asked for the same selectors (compiled
   * selectors are shared already: `compileSelector` caches them): one array, not one each.
   */
  intern(selectors: readonly Selector[]): readonly Selector[] {
    let key = '';
    for (const s of selectors) key += `${s.type}\n${s.raw}\0`;
    const known = this.#lists.get(key);
    if (known !== undefined) return known;
    if (this.#lists.size >= SHARED_LISTS) this.#lists.clear();
    const list = Object.freeze([...selectors]);
    this.#lists.set(key, list);
    return list;
  }

  /** A stream ended: the registration goes, and the subscriptions it announced end too. */
  closed(sub: Subscriber, reason: CloseReason): void {
    const ctx = this.#ctx;
    if (!ctx.broker.remove(sub)) return;
    sub.dispose();
    if (reason !== 'client') ctx.metrics.drop(reason);
    // Only what was announced is announced gone: every listing entry has exactly one end.
    if (sub.announced) for (const info of infosOf(sub, false)) ctx.announce(info);
  }
}

const perHub = new WeakMap<HubContext, Shared>();

function shared(ctx: HubContext): Shared {
  let s = perHub.get(ctx);
  if (s === undefined) {
    s = new Shared(ctx);
    perHub.set(ctx, s);
  }
  return s;
}

/** The Active Subscriptions entries of a subscriber: one per selector (Mercure "Active Subscriptions"). */
function infosOf(sub: Subscriber, active = true): SubscriptionInfo[] {
  return sub.selectors.map((s) =>
    subscriptionInfo(s.type, s.raw, sub.id, active, payloadFor(sub.principal, s.raw)),
  );
}

/** The CORS headers the hub's route adds for this request's Origin (`http/cors.ts`). */
function corsHeaders(ctx: HubContext, head: SubscribeHead): Record<string, string> {
  const out: Record<string, string> = {};
  if (head.headers.origin === undefined) return out;
  const collect = {
    setHeader(name: string, value: string) {
      out[name] = value;
      return collect;
    },
    hasHeader: (name: string) => Object.hasOwn(out, name),
  };
  ctx.cors.apply({ headers: head.headers } as IncomingMessage, collect as unknown as ServerResponse);
  return out;
}

/** A replay's turn at the gate: given back while its client drains, taken again after. */
interface Turn {
  slot: Release | undefined;
  readonly departure: Departure;
}

async function replay(
  ctx: HubContext,
  sub: Subscriber,
  first: HistoryRead,
  filter: HistoryFilter | undefined,
  turn: Turn,
): Promise<void> {
  let sent: Set<string> | undefined;
  try {
    sent = await replayHistory(ctx, sub, first, filter, turn);
  } finally {
    turn.slot?.();
  }
  // Held live updates are in memory already: writing them needs no slot.
  if (sent !== undefined) await sub.release(sent, REPLAY_GRACE_MS);
}

/**
 * Waits until the stream may be written again. A client that reads slowly gives its replay slot
 * back while its socket drains (it must not keep others waiting for up to the write timeout),
 * and waits its turn again after. False when the stream ended meanwhile.
 */
async function writable(ctx: HubContext, sub: Subscriber, turn: Turn): Promise<boolean> {
  if (sub.stream.blocked) {
    turn.slot?.();
    turn.slot = undefined;
    await sub.stream.whenWritable();
    if (sub.stream.closed) return false;
    // Already admitted: it takes a place in the queue whatever its length.
    turn.slot = await ctx.replays.acquire(turn.departure, true);
  }
  return !sub.stream.closed && turn.slot !== undefined;
}

/** Writes history from `first` on; resolves with the ids written, or undefined once the stream is gone. */
async function replayHistory(
  ctx: HubContext,
  sub: Subscriber,
  first: HistoryRead,
  filter: HistoryFilter | undefined,
  turn: Turn,
): Promise<Set<string> | undefined> {
  const sent = new Set<string>();
  let page: HistoryRead = first;
  let budget = ctx.limits.maxReplay;
  // Replayed chunks go out in writes of about REPLAY_WRITE_BYTES (one syscall, not one per
  // event), each waiting for the previous one to drain: a page can be larger than the queue
  // bound, and writing it at once would drop a resuming subscriber as a slow consumer, again on
  // every reconnect.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return !sub.stream.closed;
    const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    if (!sub.stream.write(bytes)) return false;
    return writable(ctx, sub, turn);
  };
  // A conflated subscriber (maximum rate) is replayed the latest update of each topic only, in
  // history order, at the end (pubsub/conflation.ts: never an older value after a newer one).
  const latest = sub.conflated ? new Map<string, Update>() : undefined;
  for (;;) {
    let last: string | undefined;
    for (const u of page.updates) {
      last = u.id;
      if (budget-- <= 0) break;
      // Replay applies the same rules as live: routing, and private only with a grant.
      if (!sub.wants(u) || !sub.canRead(u)) continue;
      if (latest !== undefined) {
        // Superseded ones count as replayed: a held live copy of one must not follow its successor.
        sent.add(u.id);
        latest.delete(u.topics[0]!);
        latest.set(u.topics[0]!, u);
        continue;
      }
      batch.push(u.chunk);
      batchBytes += u.chunk.length;
      sent.add(u.id);
      ctx.metrics.replayedEvents++;
      if (batchBytes >= REPLAY_WRITE_BYTES && !(await flush())) return undefined;
    }
    if (!(await flush())) return undefined;
    if (!page.more || last === undefined || budget <= 0) break;
    // One page per turn of the event loop: live delivery, other replays and /metrics run between.
    await nextTurn();
    if (sub.stream.closed) return undefined;
    try {
      page = await ctx.engine.history.readAfter(last, ctx.limits.replayPageSize, filter);
    } catch {
      sub.stream.close('error');
      return undefined;
    }
  }
  if (latest !== undefined) {
    for (const u of latest.values()) {
      batch.push(u.chunk);
      batchBytes += u.chunk.length;
      ctx.metrics.replayedEvents++;
      if (batchBytes >= REPLAY_WRITE_BYTES && !(await flush())) return undefined;
    }
    if (!(await flush())) return undefined;
  }
  return sent;
}

/** Token expiry (Mercure: close no later than `exp`) and the maximum lifetime, with jitter. */
function scheduleEnd(ctx: HubContext, sub: Subscriber, expiresAt: number | undefined): void {
  if (expiresAt !== undefined) sub.stream.endAt(expiresAt * 1000, 'token_expired');
  const life = ctx.limits.maxStreamLifetimeMs;
  if (life > 0)
    sub.stream.endAt(ctx.now() + life * (1 - Math.random() * ctx.limits.lifetimeJitter), 'lifetime');
}

/**
 * The `Last-Event-ID` header wins over the `last_event_id` (0.x: `lastEventID`) parameter
 * (Mercure "Reconciliation"), whose query value wins over its body value (subscribeParams).
 */
function requestedLastEventId(
  req: IncomingMessage,
  params: SubscribeParams,
  maxLength: number,
): string | undefined {
  const header = req.headers['last-event-id'];
  const sent = Array.isArray(header) ? header[0] : header;
  // EventSource sends the id as UTF-8; the header arrives one byte per character.
  const value = (sent === undefined ? undefined : lastEventIdFromHeader(sent)) ?? params.lastEventIdParam;
  if (value === undefined || value === '') return undefined;
  if (value.length > maxLength) {
    throw new HubError('invalid_last_event_id', `Last-Event-ID longer than ${maxLength}`);
  }
  return value;
}

/**
 * `maxRate` (a Tidings extension, docs/mercure.md "Maximum rate"): at most this many events per
 * second, a decimal number from MIN_RATE to MAX_RATE; anything else is 400 invalid_max_rate.
 */
function requestedMaxRate(pairs: SubscribeParams['pairs']): number | undefined {
  // The query and a QUERY body together (Mercure "Subscription": one union of parameters).
  const values = pairs.filter(([name]) => name === 'maxRate').map(([, value]) => value);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HubError('invalid_max_rate', 'maxRate given more than once');
  const text = values[0]!;
  if (!/^[0-9]{1,7}(\.[0-9]{1,6})?$/.test(text)) {
    throw new HubError('invalid_max_rate', 'maxRate must be a decimal number of events per second');
  }
  const rate = Number(text);
  if (rate < MIN_RATE || rate > MAX_RATE) {
    throw new HubError('invalid_max_rate', `maxRate must be from ${MIN_RATE} to ${MAX_RATE}`);
  }
  return rate;
}

function retryAfter(): string {
  return String(1 + Math.floor(Math.random() * 5));
}
