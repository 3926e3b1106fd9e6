/**
 * HTTP/1.1 chunked transfer coding (RFC 9112 7.1): `<size in hex>CRLF<bytes>CRLF`. Frames are
 * wrapped once, when an update is encoded; a run of chunks is itself a valid chunked body, so
 * coalesced writes are plain concatenations and the stream still ends with a terminating chunk
 * (a clean end, distinguishable from a reset).
 */
const CRLF = Buffer.from('\r\n', 'latin1');

export function toChunk(payload: Buffer): Buffer {
  const head = Buffer.from(`${payload.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([head, payload, CRLF], head.length + payload.length + 2);
}

/** The payload inside a chunk made by toChunk (a view, no copy). */
export function chunkPayload(chunk: Buffer): Buffer {
  return chunk.subarray(chunk.indexOf(CRLF) + 2, chunk.length - 2);
}

/**
 * Encodes `text` as UTF-8 straight into one chunk (no intermediate buffer, no concatenation).
 * Returns the chunk and the offset of its payload.
 */
export function textChunk(text: string): { chunk: Buffer; payloadAt: number } {
  const size = Buffer.byteLength(text, 'utf8');
  const head = `${size.toString(16)}\r\n`;
  const chunk = Buffer.allocUnsafe(head.length + size + 2);
  chunk.write(head, 0, 'latin1');
  chunk.write(text, head.length, 'utf8');
  chunk[chunk.length - 2] = 0x0d;
  chunk[chunk.length - 1] = 0x0a;
  return { chunk, payloadAt: head.length };
}
