/** What to subscribe to, in the Mercure dialect of the hub. */
export interface MercureSubscription {
  /** Exact topics: `match` (current dialect) or `topic` (0.x, where an exact topic is a template without variables). */
  readonly topics?: readonly string[];
  /** URL patterns (current dialect only): `match_urlpattern`. */
  readonly urlPatterns?: readonly string[];
  /** URI templates (0.x dialect only): `topic`. */
  readonly templates?: readonly string[];
  /** Ask the hub for history after this id (`earliest`: all of it). */
  readonly lastEventID?: string;
  /** `current` (default): the Mercure draft's `match*` parameters; `0.x`: the older `topic`. */
  readonly dialect?: 'current' | '0.x';
}

/**
 * A subscription URL for a Mercure hub (Mercure "Subscription"). Each selector is one query
 * parameter; URLSearchParams does the percent-encoding.
 */
export function mercureUrl(hub: string | URL, sub: MercureSubscription): string {
  const url = new URL(hub, globalThis.location?.href);
  const q = url.searchParams;
  const old = sub.dialect === '0.x';
  if (old && sub.urlPatterns?.length) throw new TypeError('URL patterns need the current Mercure dialect');
  if (!old && sub.templates?.length) throw new TypeError('URI templates need the 0.x Mercure dialect');
  for (const t of sub.topics ?? []) q.append(old ? 'topic' : 'match', t);
  for (const p of sub.urlPatterns ?? []) q.append('match_urlpattern', p);
  for (const t of sub.templates ?? []) q.append('topic', t);
  // Current draft: `last_event_id`; the 0.x text named it `lastEventID` (the hub reads both).
  if (sub.lastEventID !== undefined) q.set(old ? 'lastEventID' : 'last_event_id', sub.lastEventID);
  return url.href;
}
