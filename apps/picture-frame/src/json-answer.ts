import type { IncomingMessage, ServerResponse } from 'node:http';
import { FrameError, toProblem } from './errors.js';
import type { FrameLogger } from './frame-hub.js';
import { setCommonHeaders } from './security-headers.js';

/** A JSON answer the browser never caches (node:http sends no body to a HEAD). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': `${type}; charset=utf-8`,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/**
 * Answers a failed route of the app (the frame's, the transports demo's): a FrameError as its
 * problem document, anything else as `internal` (and logged); a reset once the head is out.
 */
export function answerFrameError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  log: FrameLogger,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const fe = err instanceof FrameError ? err : undefined;
  if (!fe)
    log.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'unexpected error');
  const e = fe ?? new FrameError('internal', 'Something went wrong; try again.');
  setCommonHeaders(res, "default-src 'none'; frame-ancestors 'none'");
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  // A body we did not read is drained, so the client sees our answer, not a reset.
  req.resume();
  sendJson(res, e.status, toProblem(e), 'application/problem+json');
}
