import type { IncomingHttpHeaders } from 'node:http';
import { HUB_PATH } from '../defaults.js';
import { FORM } from '../publish/publish-handler.js';

/**
 * The largest body a raw publish takes (64 KB). A larger one goes to node:http, which streams it
 * against `maxBodyBytes` and `requestTimeoutMs`: the raw path only ever waits for a body under
 * the header deadline, which a body this small meets on any link.
 */
export const MAX_RAW_PUBLISH_BODY = 64 * 1024;
const MAX_HEADER_LINES = 64;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const POST = Buffer.from('POST /', 'latin1');
const POST_TO_HUB = Buffer.from(`POST ${HUB_PATH}`, 'latin1');

/** Headers that make a request anything but a plain form publish: node:http's to serve. */
const NOT_PLAIN = new Set(['transfer-encoding', 'expect', 'upgrade', 'te', 'http2-settings']);
/** RFC 9110 5.6.2 `tchar`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LENGTH = /^\d{1,7}$/;

/** A form publish read straight from a socket. */
export interface PublishRequest {
  /** The request target as sent (origin-form). */
  readonly target: string;
  /** Lower-case names, like IncomingMessage.headers; each name at most once. */
  readonly headers: IncomingHttpHeaders;
  /** The body: a view into the bytes read, valid until they are dropped. */
  readonly body: Buffer;
}

/**
 * A request and where the next one starts; 'head' or 'body': that part is incomplete, wait for
 * more bytes; 'other': node:http's.
 */
export type PublishRead =
  | { readonly request: PublishRequest; readonly end: number }
  | 'head'
  | 'body'
  | 'other';

/**
 * The last head a connection sent, parsed: a publisher sends the same head again and again (only
 * the body changes, and its length rarely), so an identical head is one byte comparison instead of
 * a parse. Its headers object is frozen: every request with that head shares it.
 */
export interface HeadCache {
  bytes: Buffer | undefined;
  target: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
}

export function emptyHeadCache(): HeadCache {
  return { bytes: undefined, target: '', headers: {}, bodyLength: 0 };
}

/** True when a connection's first bytes are a POST to the hub's path (the raw publish intake's). */
export function startsPublish(bytes: Buffer): boolean {
  return (
    bytes.length >= POST_TO_HUB.length &&
    bytes.compare(POST_TO_HUB, 0, POST_TO_HUB.length, 0, POST_TO_HUB.length) === 0
  );
}

/**
 * Reads the request at `start` as a plain form publish: `POST /.well-known/mercure[/][?…]
 * HTTP/1.1`, visible ASCII with CRLF line ends, no duplicate header, a Host, a
 * `Content-Length` of at most MAX_RAW_PUBLISH_BODY, `Content-Type:
 * application/x-www-form-urlencoded`, `Connection` absent or `keep-alive`, none of NOT_PLAIN.
 * Anything else is 'other' and goes to node:http with every byte from `start` on, which answers
 * it as it always did (431, 400, 413, 415, batch publishes, chunked bodies, `Expect`). Like
 * `readSubscribeHead`, it only ever says yes to requests node:http would parse the same way.
 */
export function readPublishRequest(
  buf: Buffer,
  start: number,
  maxHeadBytes: number,
  cache: HeadCache,
): PublishRead {
  const available = buf.length - start;
  if (available < POST.length) {
    return buf.compare(POST, 0, available, start, buf.length) === 0 ? 'head' : 'other';
  }
  if (buf.compare(POST, 0, POST.length, start, start + POST.length) !== 0) return 'other';
  const headEnd = buf.indexOf(CRLFCRLF, start);
  if (headEnd === -1) return available > maxHeadBytes ? 'other' : 'head';
  const headLength = headEnd + 4 - start;
  if (headLength > maxHeadBytes) return 'other';
  const seen = cache.bytes;
  if (
    seen !== undefined &&
    seen.length === headLength &&
    buf.compare(seen, 0, headLength, start, headEnd + 4) === 0
  ) {
    return withBody(buf, headEnd + 4, cache.target, cache.headers, cache.bodyLength);
  }
  for (let i = start; i < headEnd; i++) {
    const b = buf[i]!;
    if (b >= 0x20 && b < 0x7f) continue;
    if (b === 0x0d && buf[i + 1] === 0x0a && i + 2 < headEnd) {
      i++;
      continue;
    }
    return 'other';
  }
  const lines = buf.toString('latin1', start, headEnd).split('\r\n');
  if (lines.length > MAX_HEADER_LINES + 1) return 'other';
  const requestLine = lines[0]!;
  if (!requestLine.endsWith(' HTTP/1.1')) return 'other';
  const target = requestLine.slice(5, -9);
  if (!isHubTarget(target)) return 'other';

  const headers: IncomingHttpHeaders = Object.create(null);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return 'other';
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return 'other';
    const key = name.toLowerCase();
    if (key in headers || NOT_PLAIN.has(key)) return 'other';
    // RFC 9110 5.5: leading and trailing whitespace is not part of the value.
    headers[key] = line.slice(colon + 1).trim();
  }
  const { host, connection } = headers;
  const length = headers['content-length'];
  const type = headers['content-type'];
  if (host === undefined || length === undefined || type === undefined || !LENGTH.test(length))
    return 'other';
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return 'other';
  if (type.split(';')[0]!.trim().toLowerCase() !== FORM) return 'other';
  const bodyLength = Number(length);
  if (bodyLength > MAX_RAW_PUBLISH_BODY) return 'other';
  cache.bytes = Buffer.from(buf.subarray(start, headEnd + 4));
  cache.target = target;
  cache.headers = Object.freeze(headers);
  cache.bodyLength = bodyLength;
  return withBody(buf, headEnd + 4, target, cache.headers, bodyLength);
}

function withBody(
  buf: Buffer,
  bodyStart: number,
  target: string,
  headers: IncomingHttpHeaders,
  bodyLength: number,
): PublishRead {
  const end = bodyStart + bodyLength;
  if (end > buf.length) return 'body';
  return { request: { target, headers, body: buf.subarray(bodyStart, end) }, end };
}

/**
 * The hub's path, with or without a slash, and any query, in origin-form without spaces: the
 * path test routeFor makes on the parsed URL (`/.well-known/mercure/../x` and percent-encoded
 * or other unusual forms are node:http's, whose URL parsing decides).
 */
function isHubTarget(target: string): boolean {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (path !== HUB_PATH && path !== `${HUB_PATH}/`) return false;
  return !/[\s#]/.test(target);
}
