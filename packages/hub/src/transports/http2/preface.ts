/**
 * The client connection preface of HTTP/2 (RFC 9113 3.4): the first bytes a client that knows
 * the server speaks HTTP/2 sends on a cleartext connection ("prior knowledge", RFC 9113 3.3),
 * as reverse proxies do towards a backend. No HTTP/1.1 request can start this way: `PRI` is
 * not a method any HTTP/1.1 server serves, and the version is not 1.x.
 */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** What the first bytes of a connection say about the HTTP/2 preface. */
export type PrefaceMatch = 'preface' | 'partial' | 'no';

/**
 * `preface` when `bytes` start with the whole preface, `partial` when they are a shorter prefix
 * of it (a client may send it in pieces: wait for more), `no` otherwise.
 */
export function matchPreface(bytes: Buffer): PrefaceMatch {
  const n = Math.min(bytes.length, PREFACE.length);
  // The first byte decides for almost every connection: HTTP/1.1 methods do not start with P
  // followed by R (POST, PUT, PATCH do not).
  if (n === 0 || bytes[0] !== 0x50) return 'no';
  if (bytes.compare(PREFACE, 0, n, 0, n) !== 0) return 'no';
  return n === PREFACE.length ? 'preface' : 'partial';
}
