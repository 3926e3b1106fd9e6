import type { ParsedEvent } from './event-stream-parser.js';

/** One long poll's outcome: the events, the cursor to send next, and the status when not 200. */
export interface PollAnswer {
  readonly status: number;
  readonly events: ParsedEvent[];
  readonly retry: number | undefined;
  readonly cursor: string | undefined;
  /** `Mercure-Last-Event-ID`: where the hub continued from (`earliest`: a gap). */
  readonly from: string | null;
  readonly url: string;
}

/**
 * A long poll of a Tidings hub (its docs/transports.md "Long-poll and poll"): the stream's own URL
 * with `Accept: application/json`, the cursor as `Last-Event-ID` (as the stream sends it) and
 * `wait`; the answer's events as the stream's parser would have read them, same ids and types.
 */
export async function pollOnce(
  fetcher: typeof fetch,
  url: string,
  headers: Headers,
  cursor: string,
  waitSeconds: number,
  init: RequestInit,
): Promise<PollAnswer> {
  const target = new URL(url);
  target.searchParams.set('wait', String(waitSeconds));
  headers.set('Accept', 'application/json');
  if (cursor !== '') headers.set('Last-Event-ID', String.fromCharCode(...new TextEncoder().encode(cursor)));
  const res = await fetcher(target.href, { ...init, headers });
  const from = res.headers.get('Mercure-Last-Event-ID');
  if (res.status !== 200) {
    res.body?.cancel().catch(() => {});
    return { status: res.status, events: [], retry: undefined, cursor: undefined, from, url: res.url };
  }
  const body = (await res.json()) as {
    events: { id: string; type?: string; data: string; retry?: number }[];
    last_event_id: string;
  };
  let retry: number | undefined;
  const events = body.events.map((e): ParsedEvent => {
    if (e.retry !== undefined) retry = e.retry;
    return { type: e.type ?? 'message', data: e.data, lastEventId: e.id, idSet: true };
  });
  return { status: 200, events, retry, cursor: body.last_event_id, from, url: res.url };
}
