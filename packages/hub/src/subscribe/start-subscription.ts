import { randomUUID } from 'node:crypto';
import { Subscriber } from '../broker/subscriber.js';
import { infosOf } from '../broker/subscription-host.js';
import { HubError } from '../errors.js';
import type { HubContext } from '../hub-context.js';
import type { DisconnectSignal, Release } from '../ops/replay-gate.js';
import type { HistoryFilter, HistoryRead } from '../store/store.js';
import type { Sink } from '../stream/sink.js';
import { type Admission, checkPatterns } from './admission.js';
import { scheduleEnd } from './expiry.js';
import { historyFilter, replay } from './replay.js';

/** The history still to write once the subscription is open; resolves when it is live. */
export type PendingReplay = () => Promise<void>;

/**
 * Serves an admitted subscribe on `sink`: takes a replay turn when it resumes, registers the
 * subscriber, reads the first page of history, opens the sink, schedules its end, announces it.
 * Resolves with the replay still to run (resumes), or undefined (live already, or the client
 * went: nothing is left registered then). Throws the HubError to answer, having written nothing
 * and registered nothing, when the hub is shutting down, history cannot be read or the replay
 * queue is full. The place `admission` holds against the caps is given back either way.
 *
 * Order matters: the subscriber is registered (holding live updates) BEFORE history is read,
 * and the sink opens right after, so a client that publishes on `open` is already subscribed,
 * and nothing published meanwhile is missed or sent twice.
 *
 * A resume first waits for a replay slot (ops/replay-gate.ts), before it is registered: a
 * waiting resume holds nothing but its connection, and it is not sent live updates it would have
 * to hold. Its transport's head waits too, which a client cannot tell from a slow network.
 *
 * `takeOver`: the transport's last word before the head is written (the raw intake hands the
 * socket over); false means the client has gone, and the subscription ends as `client`.
 */
export async function startSubscription(
  ctx: HubContext,
  admission: Admission,
  sink: Sink,
  disconnect: DisconnectSignal,
  takeOver?: () => boolean,
): Promise<PendingReplay | undefined> {
  let slot: Release | undefined;
  try {
    if (admission.lastEventId !== undefined) {
      slot = await ctx.replays.acquire(disconnect);
      // The client left while it waited: nothing was registered or written.
      if (slot === undefined) return undefined;
    }
    const opened = await register(ctx, admission, sink, takeOver);
    if (opened === undefined || slot === undefined) {
      slot?.();
      return undefined;
    }
    const permit = { slot, disconnect };
    return () => replay(ctx, opened.sub, opened.first, opened.filter, permit);
  } catch (err) {
    slot?.();
    throw err;
  } finally {
    // Registered by now, or never will be: the place held against the caps goes either way.
    admission.release();
  }
}

interface Opened {
  readonly sub: Subscriber;
  readonly first: HistoryRead;
  readonly filter: HistoryFilter | undefined;
}

/** `startSubscription` once a resume has its replay slot; resolves the history to replay, if any. */
async function register(
  ctx: HubContext,
  admission: Admission,
  sink: Sink,
  takeOver: (() => boolean) | undefined,
): Promise<Opened | undefined> {
  const { limits, subscriptionHost: host } = ctx;
  const { selectors, lastEventId, principal } = admission;
  const filter = lastEventId === undefined ? undefined : historyFilter(selectors);
  const sub = new Subscriber({
    id: `urn:uuid:${randomUUID()}`,
    clientKey: admission.key,
    selectors,
    principal,
    sink,
    host,
    // A resume's conflation is its own (its replay seam is per subscriber); a fresh subscription
    // shares one below (broker/conflation.ts).
    conflation:
      admission.maxRate === undefined || lastEventId === undefined
        ? undefined
        : host.rates.conflation(admission.maxRate),
    conflate: host.conflate,
  });
  if (lastEventId !== undefined) sub.hold(limits.maxQueueEvents);
  // Hub.close() may have ended every stream while this request was being authenticated.
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  // Closed while it waited (authentication, replay slot): it had no owner to report to, so it
  // must not be registered now (issue 10, ghost subscriptions).
  if (sink.closed) return undefined;
  // A resume may have waited: other subscribes may have added patterns meanwhile.
  checkPatterns(ctx, selectors);
  // Made here, right before it is joined (Broker.add): a shared conflation lives while it has members.
  if (admission.maxRate !== undefined && lastEventId === undefined)
    sub.shared = host.rates.shared(admission.maxRate, selectors, principal);
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
    if (continueFrom === lastEventId) ctx.metrics.replayHits++;
    else ctx.metrics.replayMisses++;
  }
  ctx.metrics.subscriptionsOpened++;
  if (takeOver !== undefined && !takeOver()) sink.close('client');
  if (sink.closed) return undefined;

  // Jittered retry spreads a reconnect storm after a restart (reference/bad-inputs.md).
  sink.open({ continueFrom, headers: admission.headers, retryMs: ctx.retryMs * (1 + Math.random() * 0.5) });
  // A sink can end inside open() (its socket went, or node:http cannot stream this response):
  // it is unregistered already, and a subscription announced now would be listed forever.
  if (sink.closed) return undefined;
  scheduleEnd(sub, principal?.expiresAt, {
    now: ctx.now,
    maxStreamLifetimeMs: limits.maxStreamLifetimeMs,
    lifetimeJitter: limits.lifetimeJitter,
  });
  if (ctx.subscriptionsEnabled) {
    sub.announced = true;
    for (const info of infosOf(sub)) ctx.announce(info);
  }
  ctx.logger.debug(
    { subscriber: sub.id, client: admission.key, url: admission.target, resume: lastEventId !== undefined },
    'subscribe',
  );
  return page === undefined ? undefined : { sub, first: page, filter };
}
