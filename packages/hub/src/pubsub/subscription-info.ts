import type { MatchType } from './selector.js';

/** The reserved namespace (Mercure "Publication": topics resolving under it are the hub's own). */
export const SUBSCRIPTIONS_PATH = '/.well-known/mercure/subscriptions';

/** A subscription as the Active Subscriptions API and subscription events describe it (JSON-LD). */
export interface SubscriptionInfo {
  '@context'?: string;
  id: string;
  type: 'Subscription';
  matchType: MatchType;
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

/** `/.well-known/mercure/subscriptions/{matchType}/{match}/{subscriber}` */
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
    type: 'Subscription',
    matchType,
    match,
    subscriber,
    active,
  };
  if (payload !== undefined) info.payload = payload;
  return info;
}
