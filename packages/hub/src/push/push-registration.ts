import { createECDH } from 'node:crypto';
import { PRESENCE_ID, PRESENCE_PREFIX } from '../broker/presence.js';
import { HubError } from '../errors.js';
import { compileSelector } from '../selector/compile-selector.js';
import type { MatchType, SelectorLimits } from '../selector/selector.js';
import {
  endpointId,
  type PushRecord,
  type PushSubscriptionJson,
  type StoredSelector,
} from '../store/push-record.js';
import type { PushConfig } from './push-options.js';

/** The longest registration body read, in bytes (a subscription, a few selectors: under 4 KB). */
export const MAX_REGISTRATION_BYTES = 16 * 1024;
/** Push services' endpoints are short capability URLs; this is far above any. */
const MAX_ENDPOINT_LENGTH = 2048;

/** Who registers: what the request's token (if any) says. */
export interface Registrant {
  readonly token: string | undefined;
  readonly subject: string | undefined;
  /** `exp` in seconds. */
  readonly expiresAt: number | undefined;
}

function invalid(detail: string): HubError {
  return new HubError('invalid_push_subscription', detail);
}

/** The JSON body of a registration or an unregistration (`application/json`). */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw invalid('the body is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('the body is not a JSON object');
  return value as Record<string, unknown>;
}

/**
 * A registration (docs/push.md): `{subscription, match, match_urlpattern?, presence?}`, checked
 * and turned into the record to keep. `subscription` is the browser's `PushSubscription` as JSON.
 */
export function recordFromRegistration(
  body: Record<string, unknown>,
  who: Registrant,
  config: PushConfig,
  selectorLimits: SelectorLimits,
  maxSelectors: number,
  now: number,
): PushRecord {
  const subscription = pushSubscription(body['subscription'], config, now);
  const selectors = [
    ...strings(body['match'], 'match').map((raw) => selector('exact', raw, selectorLimits)),
    ...strings(body['match_urlpattern'], 'match_urlpattern').map((raw) =>
      selector('urlpattern', raw, selectorLimits),
    ),
  ];
  if (selectors.length === 0) throw invalid('give at least one topic in match (or match_urlpattern)');
  if (selectors.length > maxSelectors) {
    throw new HubError('too_many_selectors', `at most ${maxSelectors} selectors per push subscription`);
  }
  const types = strings(body['types'], 'types');
  if (types.length > 16 || types.some((t) => t === '' || t.length > 256)) {
    throw invalid('types: at most 16 event types of 1 to 256 characters');
  }
  const presenceTopic = body['presence'];
  let presence: string;
  if (presenceTopic !== undefined) {
    if (
      typeof presenceTopic !== 'string' ||
      !presenceTopic.startsWith(PRESENCE_PREFIX) ||
      !PRESENCE_ID.test(presenceTopic.slice(PRESENCE_PREFIX.length))
    ) {
      throw invalid(`presence must be ${PRESENCE_PREFIX} followed by 16 to 128 of A-Z a-z 0-9 _ -`);
    }
    presence = `t:${presenceTopic}`;
  } else if (who.subject !== undefined && who.subject !== '') {
    presence = `s:${who.subject}`;
  } else {
    // Without either, the hub could not tell when the owner is online, and would push always.
    throw invalid('give a presence topic (or register with a token that has a sub claim)');
  }
  return {
    id: endpointId(subscription.endpoint),
    subscription,
    selectors,
    ...(types.length > 0 && { types }),
    ...(who.token !== undefined && { token: who.token }),
    ...(who.expiresAt !== undefined && { expiresAt: who.expiresAt * 1000 }),
    owner: who.subject !== undefined && who.subject !== '' ? `s:${who.subject}` : presence,
    presence,
    createdAt: now,
  };
}

/** The endpoint of an unregistration: `{endpoint}` or `{subscription: {endpoint}}`. */
export function endpointOf(body: Record<string, unknown>, config: PushConfig): string {
  const sub = body['subscription'];
  const endpoint =
    typeof sub === 'object' && sub !== null ? (sub as Record<string, unknown>)['endpoint'] : body['endpoint'];
  return checkEndpoint(endpoint, config);
}

function pushSubscription(value: unknown, config: PushConfig, now: number): PushSubscriptionJson {
  if (typeof value !== 'object' || value === null) throw invalid('subscription is not an object');
  const o = value as Record<string, unknown>;
  const endpoint = checkEndpoint(o['endpoint'], config);
  const expirationTime = o['expirationTime'] ?? null;
  if (expirationTime !== null && (typeof expirationTime !== 'number' || !Number.isFinite(expirationTime))) {
    throw invalid('subscription.expirationTime is neither null nor a time');
  }
  if (typeof expirationTime === 'number' && expirationTime <= now)
    throw invalid('the subscription has expired');
  const keys = o['keys'];
  if (typeof keys !== 'object' || keys === null) throw invalid('subscription.keys is missing');
  const { p256dh, auth } = keys as Record<string, unknown>;
  // RFC 8291 2: the user agent's P-256 public key (uncompressed point) and a 16-byte secret.
  const point = base64url(p256dh, 'keys.p256dh');
  if (point.length !== 65 || point[0] !== 4) throw invalid('keys.p256dh is not an uncompressed P-256 point');
  try {
    // Rejects a point that is not on the curve: every push to it would fail to encrypt.
    const probe = createECDH('prime256v1');
    probe.generateKeys();
    probe.computeSecret(point);
  } catch {
    throw invalid('keys.p256dh is not a P-256 public key');
  }
  if (base64url(auth, 'keys.auth').length !== 16) throw invalid('keys.auth is not 16 bytes');
  return { endpoint, expirationTime, keys: { p256dh: p256dh as string, auth: auth as string } };
}

/**
 * The hub makes requests to this URL, so it is held to what push services use: `https:` (or
 * `http:` where allowed, for tests), no credentials, one of `endpointHosts` when configured.
 */
function checkEndpoint(value: unknown, config: PushConfig): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ENDPOINT_LENGTH) {
    throw invalid(`the endpoint must be a URL of at most ${MAX_ENDPOINT_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('the endpoint is not an absolute URL');
  }
  const http = url.protocol === 'http:' && config.allowHttpEndpoints;
  if (url.protocol !== 'https:' && !http) throw invalid('the endpoint must be an https: URL');
  if (url.username !== '' || url.password !== '') throw invalid('the endpoint must not carry credentials');
  const hosts = config.endpointHosts;
  if (hosts !== undefined) {
    const host = url.hostname.toLowerCase();
    if (!hosts.some((h) => host === h || host.endsWith(`.${h}`))) {
      throw invalid('the endpoint is not on a push service this hub sends to');
    }
  }
  return value;
}

function strings(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
    throw invalid(`${name} must be a string or an array of strings`);
  }
  return [...new Set(list as string[])];
}

function selector(type: MatchType, raw: string, limits: SelectorLimits): StoredSelector {
  // Compiled now so that a malformed or too costly one is refused here (400 invalid_selector).
  compileSelector(type, raw, limits);
  return { type, raw };
}

function base64url(value: unknown, name: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(value))
    throw invalid(`${name} is not base64url`);
  return Buffer.from(value, 'base64url');
}
