/**
 * The payloads of a run of HTTP/1.1 chunks (RFC 9112 7.1), concatenated: what a carrier that
 * frames bodies itself (an HTTP/2 stream, a Fetch `Response` body) must be given instead of the
 * pre-framed bytes the HTTP/1.1 paths write to the socket. Updates are framed once for the
 * common case; this undoes it for the embedded ones.
 */
export function unchunk(framed: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  let total = 0;
  while (at < framed.length) {
    const eol = framed.indexOf(13, at); // CR ending the size line
    if (eol === -1) break;
    const size = Number.parseInt(framed.toString('latin1', at, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    const start = eol + 2;
    parts.push(framed.subarray(start, start + size));
    total += size;
    at = start + size + 2;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
