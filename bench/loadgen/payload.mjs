// The 100-byte update payload and the pre-built publish request.
//
// Payload layout (ASCII, fixed width so the request never changes length):
//   ~SSSSSSSSSS.TTTTTTTTTTTTT.xxxx...x
//   '~' marks the sequence number: it never occurs in SSE framing, HTTP headers, ids or chunk
//   sizes, so a subscriber finds each update with one native indexOf per event.
//   S: 10-digit global sequence number; T: 13-digit publish time in microseconds since the load
//   generator's epoch (clock.mjs), read back by the subscriber to get publish-to-deliver latency.
export const PAYLOAD_BYTES = 100;
export const MARK = 0x7e; // '~'
export const SEQ_DIGITS = 10;
export const TS_DIGITS = 13;
const HEAD = 1 + SEQ_DIGITS + 1 + TS_DIGITS + 1;

export function payloadTemplate() {
  return '~' + '0'.repeat(SEQ_DIGITS) + '.' + '0'.repeat(TS_DIGITS) + '.' + 'x'.repeat(PAYLOAD_BYTES - HEAD);
}

/**
 * A publish request whose payload digits can be rewritten in place.
 * `publish` is { path, contentType, bodyPrefix, headers? } from the target adapter: the body is
 * bodyPrefix + payload (a form field for Mercure, the raw body for nchan).
 */
export function buildRequestTemplate({ host, port, publish }) {
  const body = publish.bodyPrefix + payloadTemplate();
  const head =
    `POST ${publish.path} HTTP/1.1\r\n` +
    `Host: ${host}:${port}\r\n` +
    `Content-Type: ${publish.contentType}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `Accept: text/plain\r\n` +
    Object.entries(publish.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  const bytes = Buffer.from(head + body, 'latin1');
  const seqOffset = Buffer.byteLength(head) + Buffer.byteLength(publish.bodyPrefix) + 1;
  return { bytes, seqOffset, tsOffset: seqOffset + SEQ_DIGITS + 1 };
}

/** Writes `value` as `width` decimal digits ending just before `end`. */
export function writeDigits(buf, end, width, value) {
  let v = value;
  for (let i = 1; i <= width; i++) {
    buf[end - i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
}

export function stampRequest(buf, at, tpl, seq, tsUs) {
  tpl.bytes.copy(buf, at);
  writeDigits(buf, at + tpl.seqOffset + SEQ_DIGITS, SEQ_DIGITS, seq);
  writeDigits(buf, at + tpl.tsOffset + TS_DIGITS, TS_DIGITS, tsUs);
}
