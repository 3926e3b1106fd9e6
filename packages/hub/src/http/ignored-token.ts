import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { DEFAULT_COOKIE_NAMES } from '../auth/auth-options.js';

/** The response header telling a client of a development hub that its token was not used. */
export const TOKEN_IGNORED_HEADER = 'Tidings-Token-Ignored';

/**
 * A development hub (no key for this role) does not verify tokens: a client that sends one anyway
 * is served as anonymous rather than refused with a 401 it could not act on. This says so: a
 * warning in the log (once per hub, then at debug level) and a header on the answer. Resolves
 * the headers to add (none when no token was presented). A hub with keys never gets here.
 */
export function ignoredTokenHeaders(
  ctx: { readonly warnedOnce: Set<string>; readonly logger: Logger },
  req: IncomingMessage,
  url: URL,
  role: 'publisher' | 'subscriber',
): Record<string, string> {
  if (!presentsToken(req, url)) return {};
  const message = `no ${role} key is configured: the token was not verified and the request is anonymous`;
  if (ctx.warnedOnce.has(TOKEN_IGNORED_HEADER)) ctx.logger.debug({ role }, message);
  else {
    ctx.warnedOnce.add(TOKEN_IGNORED_HEADER);
    ctx.logger.warn({ role }, `${message} (logged once; configure --jwt-key to verify tokens)`);
  }
  return { [TOKEN_IGNORED_HEADER]: message };
}

/** True when the request carries a token by any mechanism the hub knows (header, 0.x query, cookie). */
function presentsToken(req: IncomingMessage, url: URL): boolean {
  if (req.headers.authorization !== undefined) return true;
  if (url.searchParams.has('authorization') || url.searchParams.has('access_token')) return true;
  const cookie = req.headers.cookie;
  if (cookie === undefined) return false;
  return cookie
    .split(';')
    .some((pair) => DEFAULT_COOKIE_NAMES.includes(pair.slice(0, Math.max(0, pair.indexOf('='))).trim()));
}
