import type { Subscriber } from '../broker/subscriber.js';
import type { CloseReason, Sink } from '../stream/sink.js';

/** setTimeout's longest delay: a later end is re-armed when this one passes (never fires early). */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface ExpiryClock {
  readonly now: () => number;
  /** limits.maxStreamLifetimeMs (0: none) and limits.lifetimeJitter (a fraction taken off at random). */
  readonly maxStreamLifetimeMs: number;
  readonly lifetimeJitter: number;
}

/**
 * Ends the subscription no later than its token's `exp` (Mercure "Authorization": the hub closes
 * the connection when the token expires) or its maximum lifetime, shortened by up to
 * `lifetimeJitter` at random so streams opened together (a reconnect storm) do not end together.
 * One timer on the subscriber, cleared when it is disposed; at equal times the token wins.
 */
export function scheduleEnd(sub: Subscriber, expiresAt: number | undefined, clock: ExpiryClock): void {
  let at: number | undefined;
  let reason: CloseReason = 'token_expired';
  if (expiresAt !== undefined) at = expiresAt * 1000;
  const life = clock.maxStreamLifetimeMs;
  if (life > 0) {
    const end = clock.now() + life * (1 - Math.random() * clock.lifetimeJitter);
    if (at === undefined || end < at) {
      at = end;
      reason = 'lifetime';
    }
  }
  if (at === undefined) return;
  arm(sub, at, reason, clock.now);
}

function arm(sub: Subscriber, at: number, reason: CloseReason, now: () => number): void {
  const delay = Math.max(0, at - now());
  clearTimeout(sub.endTimer);
  sub.endTimer =
    delay > MAX_DELAY_MS
      ? setTimeout(arm, MAX_DELAY_MS, sub, at, reason, now)
      : setTimeout(endSink, delay, sub.sink, reason);
  sub.endTimer.unref();
}

function endSink(sink: Sink, reason: CloseReason): void {
  sink.close(reason);
}
