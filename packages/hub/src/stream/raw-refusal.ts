import type { HubError } from '../errors.js';
import { problemBody, problemHeaders } from '../http/problem.js';
import { responseHead } from './response-head.js';

export interface RefusalConnection {
  /** The route's CORS headers for the request's Origin (written first, as `setHeader` puts them). */
  readonly cors: Readonly<Record<string, string>>;
  /** The request may share its connection with a next one (HTTP/1.1, or 1.0 with `Connection: keep-alive`). */
  readonly persistent: boolean;
  /** The server's keepAliveTimeout (ms), announced in `Keep-Alive` as node:http does; 0: none. */
  readonly keepAliveTimeoutMs: number;
}

/**
 * A refused raw-socket subscribe's answer, as the bytes node:http writes for the same request
 * (`sendProblem` after the route's CORS headers): the problem document, the error's own headers
 * (Retry-After, WWW-Authenticate, Connection: close) and node:http's connection headers.
 * `keepAlive` says whether the connection may carry a next request after it.
 */
export function refusalBytes(e: HubError, conn: RefusalConnection): { bytes: Buffer; keepAlive: boolean } {
  const body = problemBody(e);
  const headers = { ...conn.cors, ...problemHeaders(body), ...e.headers };
  let keepAlive = conn.persistent;
  let after: Record<string, string> = {};
  const given = Object.keys(e.headers).find((name) => name.toLowerCase() === 'connection');
  if (given !== undefined) {
    // node:http adds nothing to a Connection header of the answer's own, and obeys `close`.
    if (/(^|,)\s*close\s*(,|$)/i.test(e.headers[given]!)) keepAlive = false;
  } else if (keepAlive) {
    after = { Connection: 'keep-alive' };
    const seconds = Math.floor(conn.keepAliveTimeoutMs / 1000);
    if (conn.keepAliveTimeoutMs > 0) after['Keep-Alive'] = `timeout=${seconds}`;
  } else {
    after = { Connection: 'close' };
  }
  const head = responseHead(e.status, headers, after);
  return { bytes: Buffer.concat([head, Buffer.from(body, 'utf8')]), keepAlive };
}
