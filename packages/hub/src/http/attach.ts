import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { StreamIntake, type StreamIntakeOptions } from './stream-intake.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface AttachOptions {
  /** Serves the request when it is the hub's (true), or leaves it untouched (false). */
  readonly take: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The raw-socket subscribe (`subscribeRaw`), as on the hub's own server; undefined on TLS. */
  readonly subscribe: StreamIntakeOptions['subscribe'];
}

/**
 * Puts the hub in front of an existing node:http (or node:https) server: the hub's paths are
 * the hub's, every other request goes to the listeners the server had (the app), unchanged.
 * The raw-socket subscribe path of the hub's own server applies here too (`StreamIntake`):
 * plain subscribe requests are served without node:http, everything else is handed to it with
 * its bytes put back. `upgrade` and `connect` listeners are left alone, so the app's own
 * upgrade handling (WebSocket servers) keeps working.
 *
 * The server keeps its own timeouts (headersTimeout, requestTimeout): they are the app's.
 * Returns a function that undoes the attachment (the intake stays: it hands everything that is
 * not a subscribe to node:http as before).
 */
export function attachToServer(server: Server, options: AttachOptions): () => void {
  const app = server.listeners('request') as RequestListener[];
  const intake = StreamIntake.install(server, {
    headersTimeoutMs: server.headersTimeout > 0 ? server.headersTimeout : 60_000,
    checkEveryMs: 1_000,
    subscribe: options.subscribe,
    ownedByStream: () => {},
  });
  // The intake times out connections until node:http has a request from them: it is told of
  // every request for as long as the server lives, attached or not.
  if (intake !== undefined) {
    server.prependListener('request', (req: IncomingMessage) => intake.requestSeen(req.socket as Socket));
  }
  let attached = true;
  const listener: RequestListener = (req, res) => {
    if (attached && options.take(req, res)) return;
    for (const l of app) l.call(server, req, res);
  };
  for (const l of app) server.removeListener('request', l);
  server.on('request', listener);
  return () => {
    if (!attached) return;
    attached = false;
    server.removeListener('request', listener);
    for (const l of app) server.on('request', l);
  };
}
