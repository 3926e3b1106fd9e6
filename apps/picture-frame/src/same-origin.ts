import type { IncomingMessage } from 'node:http';
import { FrameError } from './errors.js';

/**
 * State-changing requests (a search, the transports demo's rate) come from this site's page (or a
 * tool with no Origin, like curl). A cross-site form or script would otherwise make visitors act
 * on its behalf.
 */
export function checkSameOrigin(req: IncomingMessage, detail?: string): void {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new FrameError('cross_origin', detail);
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  // HTTP/2 names the target host in `:authority`, and sends no Host (RFC 9113 8.3.1).
  const target = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  if (host === undefined || host !== target) throw new FrameError('cross_origin', detail);
}
