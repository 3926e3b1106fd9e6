import type { IncomingMessage } from 'node:http';
import { HubError } from '../errors.js';
import { parseForm } from '../http/form.js';

/** The subscribe parameters of one request: the query, and the form body of a QUERY request. */
export interface SubscribeParams {
  /**
   * Every name/value pair of the query component, then every pair of the body (Mercure
   * "Subscription": the union of both, as if they had appeared in one component).
   */
  readonly pairs: readonly (readonly [string, string])[];
  /** `last_event_id` (or the 0.x `lastEventID`): the query's value wins over the body's. */
  readonly lastEventIdParam: string | undefined;
}

/**
 * Decodes the query strictly (Mercure "Subscription": matcher values MUST be valid UTF-8, else
 * 400; URLSearchParams would turn invalid bytes into U+FFFD silently) and unites it with the
 * already-decoded body pairs of a QUERY request.
 */
export function subscribeParams(url: URL, body: readonly [string, string][] = []): SubscribeParams {
  let query: [string, string][];
  try {
    query = parseForm(Buffer.from(url.search.slice(1), 'latin1'));
  } catch {
    throw new HubError('bad_request', 'the query string is not valid UTF-8 after percent-decoding');
  }
  // `last_event_id` is single-valued: the query component wins over the body (Mercure
  // "Subscription"); the Last-Event-ID header wins over both (requestedLastEventId).
  const lastEventIdParam = lastEventIdOf(query) ?? lastEventIdOf(body);
  return { pairs: body.length === 0 ? query : [...query, ...body], lastEventIdParam };
}

/** The first `last_event_id`, else the first 0.x `lastEventID`, of one component. */
function lastEventIdOf(pairs: readonly (readonly [string, string])[]): string | undefined {
  let legacy: string | undefined;
  for (const [name, value] of pairs) {
    if (name === 'last_event_id') return value;
    if (name === 'lastEventID' && legacy === undefined) legacy = value;
  }
  return legacy;
}

/**
 * The body of a `QUERY` subscribe (Mercure "Subscription", RFC 10008): form-urlencoded only
 * (415 otherwise), at most `maxBytes`, decoded strictly as the query is.
 */
export async function readQueryBody(
  req: IncomingMessage,
  maxBytes: number,
  read: (req: IncomingMessage, maxBytes: number) => Promise<Buffer>,
): Promise<[string, string][]> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HubError(
      'unsupported_media_type',
      'a QUERY subscribe carries its parameters as application/x-www-form-urlencoded',
    );
  }
  return parseForm(await read(req, maxBytes));
}
