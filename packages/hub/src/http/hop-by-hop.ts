/**
 * Connection-specific header fields (RFC 9110 7.6.1): they describe one HTTP/1.1 connection, so
 * an HTTP/2 response must not carry them (RFC 9113 8.2.2; node:http2 throws on them) and a
 * Fetch `Response` has no connection of its own to describe.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name.toLowerCase());
}

/** `headers` without the connection-specific ones. */
export function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) if (!isHopByHop(name)) out[name] = headers[name]!;
  return out;
}
