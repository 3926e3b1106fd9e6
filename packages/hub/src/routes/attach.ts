import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { serveAsRequest } from '../http/upgrade-fallback.js';
import { StreamIntake, type StreamIntakeOptions } from './stream-intake.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface AttachOptions {
  /** Serves the request when it is the hub's (true), or leaves it untouched (false). */
  readonly take: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The raw-socket subscribe (`subscribeRaw`), as on the hub's own server; undefined on TLS. */
  readonly subscribe: StreamIntakeOptions['subscribe'];
  /** Serves a WebSocket subscribe on the hub URL (`Hub.upgrade`): true when it took the request. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
}

/**
 * Puts the hub in front of an existing node:http (or node:https) server: the hub's paths are
 * the hub's, every other request goes to the listeners the server had (the app), unchanged.
 * The raw-socket subscribe path of the hub's own server applies here too (`StreamIntake`):
 * plain subscribe requests are served without node:http, everything else is handed to it with
 * its bytes put back. WebSocket subscribes on the hub URL are the hub's; every other upgrade
 * goes to the `upgrade` listeners the server had (the app's WebSocket server), unchanged, or,
 * when it had none, is served as the plain request node:http served it as before
 * (http/upgrade-fallback.ts). An `upgrade` listener the app adds later gets every upgrade
 * request, the hub's too: add it first, or call `hub.upgrade()` from it.
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
  const appUpgrades = server.listeners('upgrade') as UpgradeListener[];
  const onUpgrade: UpgradeListener = (req, socket, head) => {
    intake?.requestSeen(req.socket as Socket);
    if (attached && options.upgrade(req, socket, head)) return;
    if (appUpgrades.length > 0) for (const l of appUpgrades) l.call(server, req, socket, head);
    // A listener added since answers it (the app's); otherwise nobody would.
    else if (server.listenerCount('upgrade') === 1) serveAsRequest(server, req, socket, head);
  };
  for (const l of appUpgrades) server.removeListener('upgrade', l);
  server.on('upgrade', onUpgrade);
  return () => {
    if (!attached) return;
    attached = false;
    server.removeListener('request', listener);
    for (const l of app) server.on('request', l);
    server.removeListener('upgrade', onUpgrade);
    for (const l of appUpgrades) server.on('upgrade', l);
  };
}
