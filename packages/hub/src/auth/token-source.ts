import type { IncomingHttpHeaders } from 'node:http';
import { invalidRequest } from './invalid-request.js';
import type { TokenSource } from './principal.js';

export interface PresentedToken {
  readonly token: string;
  readonly source: TokenSource;
}

export interface TokenSourceOptions {
  readonly cookieNames: readonly string[];
  readonly allowQueryToken: boolean;
}

/** The 0.x dialect's query parameter. */
const QUERY_PARAM = 'authorization';
/** RFC 6750 section 2.3's parameter: not part of Mercure (RFC 9700 forbids tokens in URLs). */
const FORBIDDEN_QUERY_PARAM = 'access_token';

/**
 * Finds the one token this request presents (Mercure "Presenting the Access Token"): the
 * `Authorization` header if present (any cookie is then ignored, not cross-checked: cookies are
 * ambient), else the 0.x `authorization` query parameter, else the first configured cookie name
 * present.
 *
 * Returns undefined only when no mechanism is present at all. A mechanism that is present but
 * unusable (another scheme, an empty value, a repeated parameter, query tokens disabled, the
 * `access_token` parameter) throws `invalid_request` (400): a client that tried to authenticate
 * is told so, never served as anonymous.
 */
export function findToken(
  headers: IncomingHttpHeaders,
  url: URL,
  options: TokenSourceOptions,
): PresentedToken | undefined {
  const header = headers.authorization;
  if (header !== undefined) return { token: bearerToken(header), source: 'header' };

  if (url.searchParams.has(FORBIDDEN_QUERY_PARAM)) {
    throw invalidRequest('tokens are not accepted in the access_token query parameter');
  }
  const values = url.searchParams.getAll(QUERY_PARAM);
  if (values.length > 0) {
    if (!options.allowQueryToken) throw invalidRequest('query-string tokens are disabled');
    if (values.length > 1) throw invalidRequest(`more than one ${QUERY_PARAM} query parameter`);
    const token = values[0] ?? '';
    if (token === '') throw invalidRequest(`empty ${QUERY_PARAM} query parameter`);
    return { token, source: 'query' };
  }

  const cookies = parseCookies(headers.cookie);
  for (const name of options.cookieNames) {
    const value = cookies.get(name);
    if (value === undefined) continue;
    if (value === '') throw invalidRequest(`empty ${name} cookie`);
    return { token: value, source: 'cookie' };
  }
  return undefined;
}

/** RFC 6750 section 2.1: `Bearer` (case-insensitive scheme, RFC 9110 11.1), one or more spaces, the token. */
function bearerToken(header: string): string {
  const match = /^([^\s]+)(?: +([^\s]*))? *$/.exec(header);
  const scheme = match?.[1];
  if (match === null || scheme === undefined) throw invalidRequest('malformed Authorization header');
  if (scheme.toLowerCase() !== 'bearer') throw invalidRequest('Authorization scheme is not Bearer');
  const token = match[2] ?? '';
  if (token === '') throw invalidRequest('empty Bearer token');
  return token;
}

/**
 * The cookies of a `Cookie` header (RFC 6265 section 5.4), first occurrence of a name winning
 * (browsers send the most specific path first). Values are not percent-decoded: tokens are
 * base64url and need no escaping; surrounding double quotes are removed.
 */
function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name !== '' && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}
