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
