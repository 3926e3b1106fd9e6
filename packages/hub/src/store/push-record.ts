import { createHash } from 'node:crypto';
import type { MatchType } from '../selector/selector.js';

/**
 * What a browser's `PushSubscription.toJSON()` gives (Push API, "PushSubscriptionJSON"): the
 * push service's endpoint for this browser and the keys payloads are encrypted to (RFC 8291).
 */
export interface PushSubscriptionJson {
  readonly endpoint: string;
  /** ms since the epoch, or null: the browser's own end of the subscription. */
  readonly expirationTime: number | null;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

/** A selector as kept: compiled again (and cached by compileSelector) when matched. */
export interface StoredSelector {
  readonly type: MatchType;
  readonly raw: string;
}

/**
 * One push subscription the hub keeps (push-store.ts): the browser's subscription, what it
 * selects, and who registered it. JSON-serialisable: every store keeps it as it is.
 */
export interface PushRecord {
  /** `endpointId(endpoint)`: registering the same endpoint again replaces the record. */
  readonly id: string;
  readonly subscription: PushSubscriptionJson;
  readonly selectors: readonly StoredSelector[];
  /** When given, only updates of these event types are pushed (`message` for none): a Tidings extension. */
  readonly types?: readonly string[] | undefined;
  /**
   * The subscriber token presented at registration, verified again at every delivery (so an
   * expired token, or one the hub's keys no longer accept, stops the pushes). Absent: anonymous
   * (public updates only).
   */
  readonly token?: string | undefined;
  /** The token's `exp` in ms: the record is useless after it and removed when met. */
  readonly expiresAt?: number | undefined;
  /** Whose subscription it is, for the per-subscriber bound: `s:<sub>` or `t:<presence topic>`. */
  readonly owner: string;
  /** The presence key whose live streams make pushing needless (presence.ts): `s:<sub>` or `t:<topic>`. */
  readonly presence: string;
  /** ms since the epoch. */
  readonly createdAt: number;
}

/**
 * The id of an endpoint: base64url of its SHA-256, cut to 128 bits. The endpoint itself is a
 * capability (whoever knows it can push to the browser), so it is never used as a key or logged.
 */
export function endpointId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 22);
}

/** Exact topics a record is indexed by; undefined when it has a pattern or `*` (matched by evaluation). */
export function exactTopics(record: PushRecord): string[] | undefined {
  const topics: string[] = [];
  for (const s of record.selectors) {
    if (s.raw === '*' || s.type !== 'exact') return undefined;
    topics.push(s.raw);
  }
  return topics;
}
