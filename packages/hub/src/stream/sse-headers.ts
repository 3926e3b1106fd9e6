import { idHeaderValue } from '../http/header-value.js';
import type { Opening } from './sink.js';

/**
 * Response headers of an SSE stream (WHATWG HTML 9.2; reference/sse-spec.md "What this means
 * for a server"): the content type clients require, no caching, and `X-Accel-Buffering: no`
 * so nginx-style proxies pass events through instead of buffering them.
 */
export function sseHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, private',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
    ...extra,
  };
}

/**
 * Every header of an accepted SSE subscription, in the order node:http writes them: `first`
 * (the route's CORS headers on the raw path; node:http has them from `setHeader` already), the
 * core's, the stream's, then the resume cursor. `closeDelimited`: an HTTP/1.0 body, which the
 * connection's close ends.
 */
export function sseResponseHeaders(
  first: Readonly<Record<string, string>>,
  opening: Opening,
  closeDelimited: boolean,
): Record<string, string> {
  const headers = { ...first, ...opening.headers, ...sseHeaders() };
  if (opening.continueFrom !== undefined) {
    // Current dialect and 0.x name of the same header (Mercure "Reconciliation").
    // Percent-encoded beyond visible ASCII (http/header-value.ts): ids never split a head.
    const carried = idHeaderValue(opening.continueFrom);
    headers['Mercure-Last-Event-ID'] = carried;
    headers['Last-Event-ID'] = carried;
  }
  if (closeDelimited) headers.Connection = 'close';
  return headers;
}
