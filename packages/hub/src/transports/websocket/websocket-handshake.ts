import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../auth/principal.js';
import { HubError } from '../../errors.js';
import type { HubContext } from '../../hub-context.js';

/** RFC 6455 4.1: a base64-encoded 16-byte nonce. */
const KEY = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

/**
 * The opening handshake's own fields (RFC 6455 4.2.1), checked before the subscribe is admitted,
 * so a malformed handshake never costs a registration: `GET`, `Sec-WebSocket-Key` a 16-byte
 * nonce, `Sec-WebSocket-Version: 13` (4.2.2: otherwise an error naming the version spoken).
 */
export function checkHandshake(req: IncomingMessage): void {
  if (req.method !== 'GET') {
    throw new HubError('method_not_allowed', 'a WebSocket subscribe is a GET', { Allow: 'GET' });
  }
  if (req.headers['sec-websocket-version'] !== '13') {
    throw new HubError('bad_request', 'Sec-WebSocket-Version must be 13', { 'Sec-WebSocket-Version': '13' });
  }
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new HubError('bad_request', 'Sec-WebSocket-Key must be a base64-encoded 16-byte nonce');
  }
}

/**
 * Cross-site WebSocket hijacking: a browser opens a WebSocket to any origin with the hub's
 * cookies and no CORS check, so a page elsewhere could read a cookie-authenticated subscriber's
 * private updates. A handshake authenticated by cookie must come from the hub's own origin (the
 * `Host` it was sent to, or the hub URL's) or one allowed with credentials (`corsOrigins`), as an
 * SSE stream read with credentials must. Other clients send no `Origin` and are not browsers.
 */
export function checkOrigin(ctx: HubContext, req: IncomingMessage, principal: Principal | undefined): void {
  if (principal?.source !== 'cookie') return;
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (ctx.cors.allows(origin)) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== undefined && (host === req.headers.host || host === new URL(ctx.hubUrl).host)) return;
  throw new HubError('forbidden_origin', `origin ${origin.slice(0, 256)} may not use the cookie here`);
}
