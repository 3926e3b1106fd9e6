import type { ServerResponse } from 'node:http';
import { ERROR_CODES, HubError, isHubError } from '../errors.js';

/**
 * Answers an error as an RFC 9457 problem: `application/problem+json` with a stable `code`.
 * Anything that is not a HubError is an internal error: logged by the caller, never echoed.
 */
export function sendProblem(res: ServerResponse, err: unknown): HubError {
  const e = isHubError(err) ? err : new HubError('internal');
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  const body = JSON.stringify({
    type: `urn:tidings:error:${e.code}`,
    title: ERROR_CODES[e.code].title,
    status: e.status,
    code: e.code,
    detail: e.message,
  });
  res.writeHead(e.status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...e.headers,
  });
  res.end(body);
  return e;
}
