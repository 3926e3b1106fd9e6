import { toChunk } from './chunk.js';
import { encodeComment, encodeRetry } from './encode-event.js';
import type { Framing } from './sink.js';

/**
 * Server-sent events as HTTP/1.1 chunks (WHATWG HTML 9.2.6; RFC 9112 7.1): the update's own
 * `chunk`, encoded once when the update was made and written as-is to every SSE subscriber.
 * A sink whose body is not chunked by us (HTTP/1.0, node:http2, a Fetch response) writes the
 * payloads (`unchunk`).
 */
export const SSE_CHUNKS: Framing = {
  event: (update) => update.chunk,
  sharesUpdateChunk: true,
  // Jittered by the core: a reconnect storm after a restart spreads out (reference/bad-inputs.md).
  preamble: (retryMs) => toChunk(encodeRetry(retryMs)),
  heartbeat: toChunk(encodeComment()),
};
