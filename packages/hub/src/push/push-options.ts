import { checkVapidKeys, generateVapidKeys, loadOrCreateVapidKeys, type VapidKeys } from './vapid-keys.js';

/** RFC 8030 5.3. */
export type Urgency = 'very-low' | 'low' | 'normal' | 'high';
export const URGENCIES: readonly Urgency[] = ['very-low', 'low', 'normal', 'high'];

/**
 * Web Push to offline subscribers (docs/push.md): `HubOptions.push`. The bounds (how many
 * subscriptions, queue, concurrency, timeout, attempts) are limits (limits.ts).
 */
export interface PushOptions {
  /** The VAPID key pair (RFC 8292). Required unless the hub is in development (no JWT key at all). */
  readonly vapid?: VapidKeys | undefined;
  /**
   * Development only, without `vapid`: the file where a key pair is generated on first start and
   * kept (`tidings serve` uses `<data-dir>/vapid.json`). Neither: a new pair per process.
   */
  readonly vapidFile?: string | undefined;
  /** Who push services may contact about this hub (VAPID `sub`): `mailto:` or `https:`. Required with `vapid`. */
  readonly subject?: string | undefined;
  /** `TTL`: seconds a push service keeps a message the browser has not fetched. Default 86400 (one day). */
  readonly ttlSeconds?: number | undefined;
  /** `Urgency` of every push. Default `normal`. */
  readonly urgency?: Urgency | undefined;
  /**
   * `Topic` from the update's canonical topic (a hash), so a newer update on the same topic
   * replaces one still pending at the push service (RFC 8030 5.4). Default true.
   */
  readonly replaceByTopic?: boolean | undefined;
  /** Accept `http:` endpoints (a push service on loopback, in tests). Default false: `https:` only. */
  readonly allowHttpEndpoints?: boolean | undefined;
  /** When given, endpoints must be on one of these hosts or below them. Default: any host. */
  readonly endpointHosts?: readonly string[] | undefined;
  /** Backoff between attempts: the first delay and the cap (ms), with jitter. Defaults 1000 and 60000. */
  readonly retryBaseMs?: number | undefined;
  readonly retryMaxMs?: number | undefined;
  /** The circuit breaker of a push-service host opens after this many failures in a row. Default 5. */
  readonly breakerFailures?: number | undefined;
  /** How long it stays open the first time (ms), doubled each time it opens again, up to 10 min. Default 30000. */
  readonly breakerCooldownMs?: number | undefined;
}

/** What the push modules read: every option resolved. */
export interface PushConfig {
  readonly vapid: VapidKeys;
  readonly subject: string;
  readonly ttlSeconds: number;
  readonly urgency: Urgency;
  readonly replaceByTopic: boolean;
  readonly allowHttpEndpoints: boolean;
  readonly endpointHosts: readonly string[] | undefined;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
}

/** Throws (a configuration error, at start) when a subject is not what push services accept. */
export function checkSubject(subject: string): string {
  let url: URL;
  try {
    url = new URL(subject);
  } catch {
    throw new Error('push: subject must be a mailto: or https: URL');
  }
  if (url.protocol !== 'mailto:' && url.protocol !== 'https:') {
    throw new Error('push: subject must be a mailto: or https: URL');
  }
  // web-push warns on the console for this, and push services refuse it (RFC 8292 2.1).
  if (url.protocol === 'https:' && url.hostname === 'localhost') {
    throw new Error('push: subject must not be an https://localhost URL');
  }
  return subject;
}

/** The subject of development keys: push services accept it, and it names no real mailbox. */
const DEVELOPMENT_SUBJECT = 'mailto:push@tidings.invalid';

/**
 * Every option resolved. Without `vapid`, a hub in development (no JWT key at all) uses the pair
 * kept in `vapidFile` (made on first start) or, without one, a pair made for this process; a
 * hub with keys must be given its VAPID pair and subject. Throws a configuration error.
 */
export function resolvePushConfig(o: PushOptions, development: boolean): PushConfig {
  let vapid: VapidKeys;
  if (o.vapid !== undefined) vapid = checkVapidKeys(o.vapid);
  else if (!development) {
    throw new Error('push: give the VAPID key pair (push.vapid, --vapid-public-key/--vapid-private-key)');
  } else vapid = o.vapidFile !== undefined ? loadOrCreateVapidKeys(o.vapidFile) : generateVapidKeys();
  if (o.subject === undefined && o.vapid !== undefined && !development) {
    throw new Error('push: give the VAPID subject (push.subject, --vapid-subject): a mailto: or https: URL');
  }
  const ttlSeconds = o.ttlSeconds ?? 86_400;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0)
    throw new Error('push: ttlSeconds must be a whole number of seconds');
  const urgency = o.urgency ?? 'normal';
  if (!URGENCIES.includes(urgency)) throw new Error(`push: urgency must be one of ${URGENCIES.join(', ')}`);
  const positive = (v: number | undefined, d: number, name: string) => {
    const n = v ?? d;
    if (!Number.isFinite(n) || n <= 0) throw new Error(`push: ${name} must be a positive number`);
    return n;
  };
  return {
    vapid,
    subject: checkSubject(o.subject ?? DEVELOPMENT_SUBJECT),
    ttlSeconds,
    urgency,
    replaceByTopic: o.replaceByTopic ?? true,
    allowHttpEndpoints: o.allowHttpEndpoints ?? false,
    endpointHosts: o.endpointHosts?.map((h) => h.toLowerCase()),
    retryBaseMs: positive(o.retryBaseMs, 1000, 'retryBaseMs'),
    retryMaxMs: positive(o.retryMaxMs, 60_000, 'retryMaxMs'),
    breakerFailures: positive(o.breakerFailures, 5, 'breakerFailures'),
    breakerCooldownMs: positive(o.breakerCooldownMs, 30_000, 'breakerCooldownMs'),
  };
}
