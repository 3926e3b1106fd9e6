import { encodeComment, encodeRetry } from '../../stream/encode-event.js';
import type { Framing } from '../../stream/sink.js';

/**
 * Server-sent events on an HTTP/2 stream (WHATWG HTML 9.2.6): HTTP/2 frames the body itself
 * (DATA frames, RFC 9113 6.1), so the bytes are the event text alone, `update.frame`: encoded
 * once when the update was made, a view into its HTTP/1.1 chunk, shared by every subscriber.
 */
export const SSE_PAYLOADS: Framing = {
  event: (update) => update.frame,
  // Not the HTTP/1.1 chunks: the broker shares a concatenation of frames with these streams.
  sharesUpdateChunk: false,
  sharesUpdateFrame: true,
  preamble: (retryMs) => encodeRetry(retryMs),
  heartbeat: encodeComment(),
};
