// What each update costs on the wire, as far as a page can know it. Response bodies and the
// heads of fetch answers are counted from what the page reads; a stream's events are counted as
// the hub frames them (the page sees only their fields). Request bytes are not visible to a page
// at all: the browser adds its own headers (user agent, client hints, cookies) to each request.
const encoder = new TextEncoder();

export function utf8Length(text) {
  return encoder.encode(text).length;
}

/**
 * One SSE event as the hub writes it (packages/hub/src/stream/encode-event.ts): `id:` and one
 * `data:` line per line, then a blank line; over HTTP/1.1 in one chunk (its size in hex, two
 * CRLFs), over HTTP/2 in a DATA frame (9-byte header).
 */
export function sseEventBytes(id, data, protocol) {
  let text = `id: ${id}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  const n = utf8Length(`${text}\n`);
  return protocol === 'h2' ? n + 9 : n + n.toString(16).length + 4;
}

/** One WebSocket text message from the server (unmasked): 2, 4 or 10 bytes of frame header. */
export function webSocketMessageBytes(text) {
  const n = utf8Length(text);
  return n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
}

/**
 * A fetch answer's status line and header fields written as HTTP/1.1 text. Same-origin fetch
 * shows every response header but Set-Cookie (which the hub does not send here), so over
 * HTTP/1.1 this is the head's size; over HTTP/2 the head is HPACK-compressed and smaller.
 */
export function responseHeadBytes(res) {
  let n = utf8Length(`HTTP/1.1 ${res.status} ${res.statusText}\r\n`) + 2;
  for (const [name, value] of res.headers) n += name.length + 2 + utf8Length(value) + 2;
  return n;
}
