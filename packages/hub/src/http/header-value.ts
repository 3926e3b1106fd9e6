import type { ServerResponse } from 'node:http';

/**
 * The one function every response header value goes through, whatever writes the head: the raw
 * stream (`stream/sse-stream.ts`, which turns the head into bytes itself), node:http
 * (`writeHead` below), and any later transport (HTTP/2 takes the same strings).
 *
 * RFC 9110 5.5: a field value is visible ASCII (and obs-text, which we never send) with single
 * spaces or tabs inside. Anything else is percent-encoded as its UTF-8 bytes (RFC 3986 2.1):
 * controls, DEL, every non-ASCII character, and surrounding whitespace. So no value can carry
 * a line break in any form. Why this matters: a head written with `Buffer.from(text, 'latin1')`
 * keeps only the low byte of each UTF-16 unit, and `U+010D U+010A` became CR LF there, which
 * let a stored event id add headers to every resume that echoed it (docs/security.md).
 */
export function headerValue(value: string): string {
  if (PLAIN.test(value)) return value;
  let out = '';
  const last = value.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = value.charCodeAt(i);
    const visible = c > 0x20 && c < 0x7f;
    const innerSpace = (c === 0x20 || c === 0x09) && i > 0 && i < last;
    if (visible || innerSpace) out += value[i];
    else out += percentEncode(value.codePointAt(i)!, (step) => (i += step));
  }
  return out;
}

/**
 * How an event id is carried in a response header (`Last-Event-ID`, `Mercure-Last-Event-ID`,
 * inside the `ETag` quotes): visible ASCII stays as is; `%`, `"` and every other character are
 * percent-encoded as UTF-8, so `decodeURIComponent` gives the id back exactly, and an id with
 * `"` cannot end the ETag early. In requests an id is taken as the client sends it: the
 * `Last-Event-ID` request header as UTF-8 (what EventSource sends, `lastEventIdFromHeader`) and
 * the query parameters percent-decoded as usual.
 */
export function idHeaderValue(id: string): string {
  if (ID_PLAIN.test(id)) return id;
  let out = '';
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x25) out += id[i];
    else out += percentEncode(id.codePointAt(i)!, (step) => (i += step));
  }
  return out;
}

/**
 * The `Last-Event-ID` request header as the id it names. node:http (and the raw intake, which
 * reads heads as Latin-1) hands header bytes over one per character. Browsers send the id as
 * UTF-8 (WHATWG HTML 9.2.4: the last event ID string, UTF-8 encoded), so bytes that are valid
 * UTF-8 are decoded as such. Bytes that are not stay Latin-1: that is what clients on WHATWG
 * fetch's ByteString headers (the `eventsource` package on undici) send for an id like `café-1`.
 */
export function lastEventIdFromHeader(raw: string): string {
  if (ASCII.test(raw)) return raw;
  for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) > 0xff) return raw;
  try {
    return STRICT_UTF8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return raw;
  }
}

/** `res.writeHead` with every value through `headerValue`: the node:http way to write a head. */
export function writeHead(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
): void {
  const safe: Record<string, string> = {};
  for (const name in headers) safe[name] = headerValue(String(headers[name]));
  res.writeHead(status, safe);
}

/** RFC 9110 5.6.2 `token`: header names are ours, but a head is refused rather than written wrong. */
export function isFieldName(name: string): boolean {
  return TOKEN.test(name);
}

const PLAIN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$|^$/;
const ID_PLAIN = /^[\x21\x23-\x24\x26-\x7e]*$/;
const ASCII = /^[\x00-\x7f]*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `%XX` for each UTF-8 byte of `cp`; a lone surrogate is encoded as U+FFFD. Advances past a pair. */
function percentEncode(cp: number, advance: (step: number) => void): string {
  if (cp > 0xffff) advance(1);
  const ch = cp >= 0xd800 && cp <= 0xdfff ? '\ufffd' : String.fromCodePoint(cp);
  let out = '';
  for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
