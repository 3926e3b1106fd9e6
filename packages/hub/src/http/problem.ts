import { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode, HubError, isHubError } from '../errors.js';
import { writeHead } from './header-value.js';
import { withoutHopByHop } from './hop-by-hop.js';

/**
 * The RFC 9457 problem document of an error, and the headers that describe it: the one encoder
 * of every error answer, whoever writes it (node:http below, a raw socket in
 * stream/raw-refusal.ts, `rawProblem` for errors before a request exists).
 */
export function problemBody(e: HubError): string {
  return JSON.stringify({
    type: `urn:tidings:error:${e.code}`,
    title: ERROR_CODES[e.code].title,
    status: e.status,
    code: e.code,
    detail: e.message,
  });
}

/** The headers of a problem answer, before the error's own (Retry-After, WWW-Authenticate...). */
export function problemHeaders(body: string): Record<string, string | number> {
  return {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  };
}

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
  if (!(res instanceof ServerResponse)) readRestOfBody(res);
  const body = problemBody(e);
  writeHead(res, e.status, {
    ...problemHeaders(body),
    // `Connection: close` means something on node:http only (node:http2 refuses it).
    ...(res instanceof ServerResponse ? e.headers : withoutHopByHop(e.headers)),
  });
  res.end(body);
  return e;
}

/**
 * Over HTTP/2, a response finished before the handler read any of the request body makes Node
 * close the stream at once with RST_STREAM (RFC 9113 8.1 allows it), and a client still
 * uploading, such as curl under load, reports a stream error instead of the answer. Reading
 * and dropping the rest of the body lets the stream end when the client's DATA ends.
 * node:http does the equivalent itself (it discards the unread body or closes the connection).
 */
function readRestOfBody(res: ServerResponse): void {
  const req = (res as { req?: ServerResponse['req'] }).req;
  if (req !== undefined && !req.complete) req.resume();
}

/**
 * The same problem as raw HTTP/1.1 bytes, for errors Node raises before there is a request
 * object (`clientError`: oversized headers, header/request timeouts, unparsable requests).
 */
export function rawProblem(code: ErrorCode, detail?: string): string {
  const e = new HubError(code, detail);
  const body = problemBody(e);
  return (
    `HTTP/1.1 ${e.status} ${ERROR_CODES[e.code].title}\r\nConnection: close\r\n` +
    `Content-Type: application/problem+json\r\nCache-Control: no-store\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
