import type { IncomingMessage } from 'node:http';
import { HubError } from '../errors.js';
import { lastEventIdFromHeader } from '../http/header-value.js';
import { MAX_RATE, MIN_RATE } from '../model/rate-bounds.js';
import { type SelectorRequest, selectorRequests } from './selectors-from-query.js';
import type { SubscribeParams } from './subscribe-params.js';

/**
 * A subscribe as any transport hands it to the core: what it asks for (the query, and a QUERY
 * body's form pairs) and who asks (headers and peer address, through `message`). The core reads
 * only that: `message` is node:http's request where there is one, else a stand-in with the
 * same `headers` (lower-case names) and `socket.remoteAddress`, the subset the Authenticator,
 * the per-client key and the token-ignored notice read.
 */
export interface SubscribeRequest {
  readonly message: IncomingMessage;
  /** The request target, parsed: selectors, cursor and a 0.x query token are in its query. */
  readonly url: URL;
  readonly params: SubscribeParams;
}

/** What a subscribe asks for, checked but not compiled yet (compiling comes after the caps). */
export interface SubscribeAsk {
  readonly selectors: readonly SelectorRequest[];
  /** The cursor (Mercure "Reconciliation"): history after it is replayed first. */
  readonly lastEventId: string | undefined;
  /** `maxRate` (events per second), when the subscriber asked for one. */
  readonly maxRate: number | undefined;
}

/** Reads selectors and cursor in both dialects (current and 0.x): throws the HubError to answer. */
export function readSubscribeAsk(
  request: SubscribeRequest,
  limits: { readonly maxSelectorsPerSubscribe: number; readonly maxLastEventIdLength: number },
): SubscribeAsk {
  const { params } = request;
  return {
    selectors: selectorRequests(params.pairs, limits.maxSelectorsPerSubscribe),
    lastEventId: requestedLastEventId(request.message, params, limits.maxLastEventIdLength),
    maxRate: requestedMaxRate(params.pairs),
  };
}

/**
 * The `Last-Event-ID` header wins over the `last_event_id` (0.x: `lastEventID`) parameter
 * (Mercure "Reconciliation"), whose query value wins over its body value (subscribeParams).
 */
function requestedLastEventId(
  req: IncomingMessage,
  params: SubscribeParams,
  maxLength: number,
): string | undefined {
  const header = req.headers['last-event-id'];
  const sent = Array.isArray(header) ? header[0] : header;
  // EventSource sends the id as UTF-8; the header arrives one byte per character.
  const value = (sent === undefined ? undefined : lastEventIdFromHeader(sent)) ?? params.lastEventIdParam;
  if (value === undefined || value === '') return undefined;
  if (value.length > maxLength) {
    throw new HubError('invalid_last_event_id', `Last-Event-ID longer than ${maxLength}`);
  }
  return value;
}

/**
 * `maxRate` (a Tidings extension, docs/mercure.md "Maximum rate"): at most this many events per
 * second, a decimal number from MIN_RATE to MAX_RATE; anything else is 400 invalid_max_rate.
 */
function requestedMaxRate(pairs: SubscribeParams['pairs']): number | undefined {
  // The query and a QUERY body together (Mercure "Subscription": one union of parameters).
  const values = pairs.filter(([name]) => name === 'maxRate').map(([, value]) => value);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HubError('invalid_max_rate', 'maxRate given more than once');
  const text = values[0]!;
  if (!/^[0-9]{1,7}(\.[0-9]{1,6})?$/.test(text)) {
    throw new HubError('invalid_max_rate', 'maxRate must be a decimal number of events per second');
  }
  const rate = Number(text);
  if (rate < MIN_RATE || rate > MAX_RATE) {
    throw new HubError('invalid_max_rate', `maxRate must be from ${MIN_RATE} to ${MAX_RATE}`);
  }
  return rate;
}
