import { randomUUID } from 'node:crypto';
import { HUB_PATH } from '../defaults.js';
import type { Update } from '../model/update.js';
import type { MatchType } from '../selector/selector.js';
import { createUpdate } from '../stream/update-frame.js';

/** The reserved namespace (Mercure "Publication": topics resolving under it are the hub's own). */
export const SUBSCRIPTIONS_PATH = `${HUB_PATH}/subscriptions`;

/**
 * A subscription as the Subscription API and subscription events describe it (Mercure
 * "Subscription Events": a JSON document; `type` is the fixed value `subscription`, `match_type`
 * the canonical matcher type name). A 0.x `topic` subscription has `match_type` `uritemplate`.
 */
export interface SubscriptionInfo {
  id: string;
  type: 'subscription';
  match_type: MatchType;
  match: string;
  subscriber: string;
  active: boolean;
  payload?: unknown;
}

/**
 * RFC 6570 simple string expansion: everything but unreserved characters is percent-encoded,
 * exactly once (Mercure "Subscription Events": `%` in the value is itself encoded).
 */
export function pctEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `/.well-known/mercure/subscriptions/{match_type}/{match}/{subscriber}`, each variable
 * percent-encoded exactly once (RFC 6570 simple expansion).
 */
export function subscriptionTopic(matchType: MatchType, match: string, subscriber?: string): string {
  const base = `${SUBSCRIPTIONS_PATH}/${matchType}/${pctEncode(match)}`;
  return subscriber === undefined ? base : `${base}/${pctEncode(subscriber)}`;
}

export function subscriptionInfo(
  matchType: MatchType,
  match: string,
  subscriber: string,
  active: boolean,
  payload: unknown,
): SubscriptionInfo {
  const info: SubscriptionInfo = {
    id: subscriptionTopic(matchType, match, subscriber),
    type: 'subscription',
    match_type: matchType,
    match,
    subscriber,
    active,
  };
  if (payload !== undefined) info.payload = payload;
  return info;
}

/**
 * A subscription event: a private update on the subscription's own topic, of the reserved SSE
 * event type `mercure` (Mercure "Subscription Events"), broadcast without entering history.
 */
export function subscriptionEvent(info: SubscriptionInfo): Update {
  return createUpdate({
    topics: [info.id],
    data: JSON.stringify(info),
    private: true,
    id: `urn:uuid:${randomUUID()}`,
    type: 'mercure',
  });
}
