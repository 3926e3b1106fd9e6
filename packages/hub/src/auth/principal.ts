import type { IncomingMessage } from 'node:http';
import type { Selector } from '../selector/selector.js';

export type Role = 'publisher' | 'subscriber';

/** Where the token came from. Precedence: header, then query, then cookie (Mercure "Presenting the Access Token"). */
export type TokenSource = 'header' | 'query' | 'cookie';

/** A payload attached to subscriptions whose own selector matches `selectors` (Mercure "Payloads"). */
export interface PayloadGrant {
  readonly selectors: readonly Selector[];
  readonly payload: unknown;
}

/** What a verified token allows. Built from `authorization_details` (at+jwt) or the 0.x `mercure` claim. */
export interface Principal {
  /** The validated `sub` claim, if any: used as the subscriber id of subscription events. */
  readonly subject?: string | undefined;
  /** `exp` in seconds since the epoch, if any: the hub closes streams no later than this. */
  readonly expiresAt?: number | undefined;
  /** Topics this token may publish to. */
  readonly publish: readonly Selector[];
  /** Topics whose private updates this token may read. */
  readonly subscribe: readonly Selector[];
  readonly payloads: readonly PayloadGrant[];
  /**
   * The `tidings_max_rate` claim (a Tidings extension, docs/mercure.md "Maximum rate"): the most
   * events per second this token's streams get, whatever `maxRate` they ask for.
   */
  readonly maxRate?: number | undefined;
  readonly source: TokenSource;
}

export interface Authenticator {
  /**
   * Finds the token for this request (Authorization header, then `access_token` / 0.x
   * `authorization` query parameter, then cookie) and verifies it with the key of this role.
   * Resolves undefined when no token is presented at all; rejects with HubError('invalid_token')
   * when a token is present but invalid (never silently downgraded to anonymous).
   */
  authenticate(req: IncomingMessage, url: URL, role: Role): Promise<Principal | undefined>;
}

/** True when any of the selectors matches any of the topics. */
export function grants(selectors: readonly Selector[], topics: readonly string[]): boolean {
  for (const s of selectors) for (const t of topics) if (s.matches(t)) return true;
  return false;
}
