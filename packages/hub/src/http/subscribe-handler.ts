import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { payloadFor } from '../auth/payload-for.js';
import { HubError } from '../errors.js';
import type { HubContext } from '../hub-context.js';
import { Subscriber } from '../pubsub/subscriber.js';
import { subscriptionInfo } from '../pubsub/subscription-info.js';
import type { HistoryRead } from '../store/store.js';
import { encodeRetry } from '../stream/encode-event.js';
import { sseHeaders } from '../stream/sse-headers.js';
import { SseStream } from '../stream/sse-stream.js';
import { clientKey } from './client-key.js';
import { parseForm } from './form.js';
import { selectorsFromQuery } from './selectors-from-query.js';

/** How long replayed ids are remembered to skip a late live copy (ms). */
const REPLAY_GRACE_MS = 30_000;
/** Replayed events are written in batches of about this many bytes. */
const REPLAY_WRITE_BYTES = 64 * 1024;

/**
 * GET /.well-known/mercure: an SSE stream of the updates matching the selectors.
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
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  const { limits } = ctx;
  // Mercure "Subscription": matcher values MUST be valid UTF-8, else 400. URLSearchParams turns
  // invalid bytes into U+FFFD silently, so the raw query is decoded strictly first.
  try {
    parseForm(Buffer.from(url.search.slice(1), 'latin1'));
  } catch {
    throw new HubError('bad_request', 'the query string is not valid UTF-8 after percent-decoding');
  }
  const selectors = selectorsFromQuery(url.searchParams, limits.maxSelectorsPerSubscribe, ctx.selectorLimits);
  const lastEventId = requestedLastEventId(req, url, limits.maxLastEventIdLength);

  const principal = await ctx.authenticator.authenticate(req, url, 'subscriber');
  if (principal === undefined && !ctx.anonymous) {
    throw new HubError('missing_token', 'subscribing needs an access token', {
      'WWW-Authenticate': bearerChallenge(),
    });
  }

  const key = clientKey(req, ctx.trustProxy);
  // Refused streams also give their connection back: it is the scarce resource here.
  if (ctx.broker.size >= limits.maxSubscribers) {
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
  if (req.destroyed) return;

  const stream = new SseStream(
    res,
    {
      heartbeatMs: ctx.heartbeatMs,
      maxQueueBytes: limits.maxQueueBytes,
      maxQueueEvents: limits.maxQueueEvents,
      writeTimeoutMs: limits.writeTimeoutMs,
      now: ctx.now,
    },
    (reason) => {
      if (!ctx.broker.remove(sub)) return;
      sub.dispose();
      if (reason !== 'client') ctx.metrics.drop(reason);
      for (const info of infos) ctx.announce({ ...info, active: false });
    },
  );
  const sub = new Subscriber({
    id: `urn:uuid:${randomUUID()}`,
    clientKey: key,
    selectors,
    principal,
    stream,
  });
  const infos = ctx.subscriptionsEnabled
    ? selectors.map((s) => subscriptionInfo(s.type, s.raw, sub.id, true, payloadFor(principal, s.raw)))
    : [];
  if (lastEventId !== undefined) sub.hold(limits.maxQueueEvents);
  ctx.broker.add(sub);
  ctx.metrics.subscriptionsOpened++;

  let page: HistoryRead | undefined;
  let continueFrom: string | undefined;
  if (lastEventId !== undefined) {
    try {
      page = await ctx.engine.history.readAfter(lastEventId, limits.replayPageSize);
      if (page.found) {
        ctx.metrics.replayHits++;
        continueFrom = lastEventId;
      } else {
        // Unknown (never seen, trimmed, or history wiped): replay all we have, and say so.
        ctx.metrics.replayMisses++;
        continueFrom = 'earliest';
        page = await ctx.engine.history.readAfter('earliest', limits.replayPageSize);
      }
    } catch (err) {
      ctx.broker.remove(sub);
      sub.dispose();
      throw err instanceof HubError ? err : new HubError('store_unavailable');
    }
  }
  if (stream.closed) return;

  const headers = sseHeaders();
  if (continueFrom !== undefined) {
    // Current dialect and 0.x name of the same header (Mercure "Reconciliation").
    headers['Mercure-Last-Event-ID'] = continueFrom;
    headers['Last-Event-ID'] = continueFrom;
  }
  // Jittered retry spreads a reconnect storm after a restart (reference/bad-inputs.md).
  stream.open(headers, encodeRetry(ctx.retryMs * (1 + Math.random() * 0.5)));
  scheduleEnd(ctx, sub, principal?.expiresAt);
  for (const info of infos) ctx.announce(info);

  if (page !== undefined) await replay(ctx, sub, page);
}

async function replay(ctx: HubContext, sub: Subscriber, first: HistoryRead): Promise<void> {
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
    if (sub.stream.blocked) await sub.stream.whenWritable();
    return !sub.stream.closed;
  };
  for (;;) {
    let last: string | undefined;
    for (const u of page.updates) {
      last = u.id;
      if (budget-- <= 0) break;
      // Replay applies the same rules as live: routing, and private only with a grant.
      if (!sub.wants(u) || !sub.canRead(u)) continue;
      batch.push(u.chunk);
      batchBytes += u.chunk.length;
      sent.add(u.id);
      ctx.metrics.replayedEvents++;
      if (batchBytes >= REPLAY_WRITE_BYTES && !(await flush())) return;
    }
    if (!(await flush())) return;
    if (!page.more || last === undefined || budget <= 0 || sub.stream.closed) break;
    await sub.stream.whenWritable();
    try {
      page = await ctx.engine.history.readAfter(last, ctx.limits.replayPageSize);
    } catch {
      sub.stream.close('error');
      return;
    }
  }
  await sub.release(sent, REPLAY_GRACE_MS);
}

/** Token expiry (Mercure: close no later than `exp`) and the maximum lifetime, with jitter. */
function scheduleEnd(ctx: HubContext, sub: Subscriber, expiresAt: number | undefined): void {
  if (expiresAt !== undefined) sub.stream.endAt(expiresAt * 1000, 'token_expired');
  const life = ctx.limits.maxStreamLifetimeMs;
  if (life > 0)
    sub.stream.endAt(ctx.now() + life * (1 - Math.random() * ctx.limits.lifetimeJitter), 'lifetime');
}

/** `Last-Event-ID` header wins over the `lastEventID` / 0.x `last_event_id` query parameters. */
function requestedLastEventId(req: IncomingMessage, url: URL, maxLength: number): string | undefined {
  const header = req.headers['last-event-id'];
  const value =
    (Array.isArray(header) ? header[0] : header) ??
    url.searchParams.get('lastEventID') ??
    url.searchParams.get('last_event_id') ??
    undefined;
  if (value === undefined || value === '') return undefined;
  if (value.length > maxLength) {
    throw new HubError('invalid_last_event_id', `Last-Event-ID longer than ${maxLength}`);
  }
  return value;
}

function retryAfter(): string {
  return String(1 + Math.floor(Math.random() * 5));
}
