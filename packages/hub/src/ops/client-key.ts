import type { IncomingMessage } from 'node:http';

/**
 * The key per-client limits count against, from an address. IPv4 (and IPv4-mapped IPv6,
 * `::ffff:a.b.c.d`) by address; IPv6 by its /64 network, because one host usually holds a whole
 * /64 (RFC 4291 2.5.4, SLAAC's privacy addresses of RFC 8981) and could otherwise take a fresh
 * address per request.
 */
export function addressKey(address: string): string {
  const addr = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!addr.includes(':')) return addr;
  const [headText = '', tailText] = addr.toLowerCase().split('::');
  const head = headText.split(':').filter(Boolean);
  const tail = tailText === undefined ? [] : tailText.split(':').filter(Boolean);
  const zeros: string[] = Array(Math.max(0, 8 - head.length - tail.length)).fill('0');
  const groups = [...head, ...zeros, ...tail].map((g) => g.replace(/^0+(?=.)/, ''));
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** Who a request counts against for per-client limits: its address (or the proxy's X-Forwarded-For when trusted). */
export function clientKey(req: IncomingMessage, trustProxy = false): string {
  if (trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first) return addressKey(first);
  }
  return addressKey(req.socket.remoteAddress ?? 'unknown');
}
