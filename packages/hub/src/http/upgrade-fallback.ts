import { type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HubError } from '../errors.js';
import { sendProblem } from './problem.js';

/**
 * Serves an upgrade request nobody took as the plain request it also is. node:http hands every
 * request carrying `Upgrade` to the `upgrade` listeners once there is one (the hub's, for
 * WebSocket), and answers none of them itself; before, it served them as ordinary requests (RFC
 * 9110 7.8: a server MAY ignore `Upgrade`), e.g. curl's `Upgrade: h2c`. So the request is given to
 * the server's `request` listeners with a response on its socket, as node:http would, and the
 * connection closes after the answer (node:http has let go of it: no next request is read).
 *
 * node:http does not read the body of an upgrade request: one that declares a body is answered
 * 400 instead of being served without it.
 */
export function serveAsRequest(server: Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  socket.on('error', ignore);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || declared > 0 || head.length > 0) {
    sendProblem(res, new HubError('bad_request', 'a request asking for an Upgrade cannot carry a body here'));
    return;
  }
  server.emit('request', req, res);
}

function ignore(): void {}
