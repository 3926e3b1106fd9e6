import type { IncomingHttpHeaders } from 'node:http';
import { wantsJson } from '../transports/poll/poll-request.js';

/** The one path a raw stream is served on (Mercure "Subscription"). */
export const HUB_PATH = '/.well-known/mercure';

/** Longest head taken past node:http; longer ones (big cookies, long tokens) go the common way. */
export const MAX_HEAD_BYTES = 8 * 1024;
const MAX_HEADER_LINES = 64;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Headers whose presence means anything but a plain stream request: a body (RFC 9112 6.3),
 * an expectation or upgrade node:http answers itself, hop-by-hop framing. Such requests, and
 * `Connection` other than `keep-alive`, are left to node:http.
 */
const NOT_PLAIN = new Set([
  'content-length',
  'transfer-encoding',
  'expect',
  'upgrade',
  'te',
  'http2-settings',
]);

/** RFC 9110 5.6.2 `tchar`. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A subscribe request read straight from a socket. */
export interface SubscribeHead {
  /** The request target as sent (origin-form). */
  readonly target: string;
  readonly url: URL;
  /** Lower-case names, like IncomingMessage.headers; each name at most once. */
  readonly headers: IncomingHttpHeaders;
  /** HTTP/1.0 (nginx's default `proxy_http_version`): the stream's body is close-delimited. */
  readonly http10: boolean;
}

/**
 * Reads the first bytes a connection sent as a subscribe request, when they are exactly one
 * plain `GET /.well-known/mercure[/][?...] HTTP/1.1` (or `HTTP/1.0`) head: printable ASCII only, CRLF line
 * ends, no obs-fold, no duplicate header, a Host, no body, nothing pipelined after it.
 *
 * `maxBytes` must not exceed node:http's header size limit, so that nothing node:http would
 * refuse with 431 is taken. Anything else (another request, a head split over several reads, an
 * unusual byte, a header this parser does not judge) returns undefined and goes to node:http unchanged, which answers
 * it as it always did, errors and limits included (header size 431, timeouts 408, malformed 400).
 * So this parser is deliberately narrow: it only ever says yes to requests node:http would
 * parse to the same method, target and headers.
 */
export function readSubscribeHead(bytes: Buffer, maxBytes = MAX_HEAD_BYTES): SubscribeHead | undefined {
  const length = bytes.length;
  if (length > maxBytes || length < 4 + HUB_PATH.length) return undefined;
  // "GET /": the cheapest test first, since every connection's first bytes come here.
  if (bytes[0] !== 0x47 || bytes[1] !== 0x45 || bytes[2] !== 0x54 || bytes[3] !== 0x20 || bytes[4] !== 0x2f)
    return undefined;
  if (bytes.indexOf(CRLFCRLF) !== length - 4) return undefined;
  for (let i = 0; i < length; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b < 0x7f) continue;
    // CR only before LF, LF only after CR: no bare line ends, no other control byte.
    if (b === 0x0d && bytes[i + 1] === 0x0a) continue;
    if (b === 0x0a && bytes[i - 1] === 0x0d) continue;
    return undefined;
  }
  const lines = bytes.toString('latin1', 0, length - 4).split('\r\n');
  if (lines.length > MAX_HEADER_LINES + 1) return undefined;
  const requestLine = lines[0]!;
  // Other versions (HTTP/2.0 in text, 0.9) are node:http's, and the hub answers them 505.
  const http10 = requestLine.endsWith(' HTTP/1.0');
  if (!http10 && !requestLine.endsWith(' HTTP/1.1')) return undefined;
  const target = requestLine.slice(4, -9);
  if (target.includes(' ')) return undefined;
  let url: URL;
  try {
    url = new URL(target, 'http://hub.invalid');
  } catch {
    return undefined;
  }
  // The same routing test as the hub's, on the same parsed path.
  if (url.pathname !== HUB_PATH && url.pathname !== `${HUB_PATH}/`) return undefined;

  const headers: IncomingHttpHeaders = Object.create(null);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const key = name.toLowerCase();
    if (key in headers || NOT_PLAIN.has(key)) return undefined;
    // RFC 9110 5.5: leading and trailing whitespace is not part of the value.
    const value = line.slice(colon + 1).trim();
    // An HTTP/1.0 client (nginx) says `close`, which is what it gets anyway.
    if (
      key === 'connection' &&
      value.toLowerCase() !== 'keep-alive' &&
      !(http10 && value.toLowerCase() === 'close')
    )
      return undefined;
    headers[key] = value;
  }
  // node:http refuses an HTTP/1.1 request without Host (RFC 9112 3.2): so does this path, by
  // leaving it to node:http.
  if (headers.host === undefined) return undefined;
  // A poll (`Accept: application/json`) is a short answer, not a stream: node:http's.
  if (wantsJson(headers.accept)) return undefined;
  return { target, url, headers, http10 };
}
