import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { settleError } from '../../http/error-answer.js';
import { headerValue } from '../../http/header-value.js';
import type { HubContext } from '../../hub-context.js';
import { refusalBytes } from '../../stream/raw-refusal.js';
import { admit } from '../../subscribe/admission.js';
import { startSubscription } from '../../subscribe/start-subscription.js';
import { subscribeParams } from '../../subscribe/subscribe-params.js';
import { DEFLATE_THRESHOLD } from './websocket-framing.js';
import { checkHandshake, checkOrigin } from './websocket-handshake.js';
import type { WebSocketOptions } from './websocket-options.js';
import { publishOverSocket, refuseMessages } from './websocket-publish.js';
import { WebSocketSink } from './websocket-sink.js';

/** Longest message a client may send when publishing over the socket is off (a close frame's reason fits). */
const MAX_MESSAGE_WITHOUT_PUBLISH = 4096;

/**
 * Subscriptions over WebSocket on the hub URL (one per hub): `GET /.well-known/mercure?…` with
 * `Upgrade: websocket` and the query of an SSE subscribe (both dialects' selectors,
 * `last_event_id`, `maxRate`), served by the same subscription core (subscribe/): admission,
 * authorization (the `Authorization` header or the cookie), caps, replay and resume without gap
 * or duplicate, expiry, lifetime. A refusal is answered as SSE's would be, before any upgrade.
 */
export class WebSocketTransport {
  readonly #ctx: HubContext;
  readonly #server: WebSocketServer;
  readonly #publish: boolean;
  /** Headers for the 101 answer being written (handleUpgrade writes it synchronously). */
  #extra: Readonly<Record<string, string>> | undefined;
  /** The `Sec-WebSocket-Extensions` of that answer, parameters included (`ws.extensions` has names only). */
  #negotiated = '';

  constructor(ctx: HubContext, options: WebSocketOptions = {}) {
    this.#ctx = ctx;
    this.#publish = options.publish === true;
    this.#server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Each message compressed on its own, so that it can be compressed once for everyone
      // (websocket-framing.ts `framingFor`).
      perMessageDeflate:
        options.perMessageDeflate === true
          ? { serverNoContextTakeover: true, threshold: DEFLATE_THRESHOLD }
          : false,
      maxPayload: this.#publish ? ctx.limits.maxBodyBytes : MAX_MESSAGE_WITHOUT_PUBLISH,
    });
    this.#server.on('headers', (lines: string[]) => {
      for (const line of lines) {
        if (line.toLowerCase().startsWith('sec-websocket-extensions:'))
          this.#negotiated = line.slice(25).trim();
      }
      const extra = this.#extra;
      if (extra === undefined) return;
      for (const name in extra) lines.push(`${name}: ${headerValue(extra[name]!)}`);
    });
  }

  /**
   * Serves a WebSocket subscribe on the socket node:http handed over with its `upgrade` event.
   * Answers whatever happens: a refusal as an HTTP problem (the connection then closes), else
   * the 101 answer once the subscription is registered.
   */
  async serve(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const ctx = this.#ctx;
    socket.on('error', ignore);
    let sink: WebSocketSink | undefined;
    try {
      checkHandshake(req);
      const admission = await admit(ctx, { message: req, url, params: subscribeParams(url) });
      try {
        checkOrigin(ctx, req, admission.principal);
      } catch (err) {
        admission.release();
        throw err;
      }
      if (socket.destroyed) return admission.release();
      const onMessage = this.#publish ? publishOverSocket(ctx, req, url) : refuseMessages;
      sink = new WebSocketSink(req, socket, head, ctx.sinkOptions, this.#handshake, onMessage);
      const opened = sink;
      const replay = await startSubscription(ctx, admission, sink, socket);
      replay?.().catch(() => opened.close('error'));
    } catch (err) {
      sink?.abandon();
      if (socket.destroyed) return;
      const e = settleError(ctx, err, 'GET', req.url ?? '');
      const { bytes } = refusalBytes(e, {
        cors: ctx.cors.headers(req.headers.origin),
        persistent: false,
        keepAliveTimeoutMs: 0,
      });
      socket.end(bytes, () => socket.destroy());
    }
  }

  readonly #handshake = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    headers: Readonly<Record<string, string>>,
  ): { ws: WebSocket; extensions: string } | undefined => {
    let opened: { ws: WebSocket; extensions: string } | undefined;
    this.#extra = headers;
    this.#negotiated = '';
    try {
      // Synchronous: no verifyClient, so the 101 answer is written before this returns.
      this.#server.handleUpgrade(req, socket, head, (ws) => {
        opened = { ws, extensions: this.#negotiated };
      });
    } finally {
      this.#extra = undefined;
    }
    return opened;
  };
}

/** The request asks for a WebSocket (RFC 6455 4.2.1: `Upgrade: websocket`, case-insensitive). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.trim().toLowerCase() === 'websocket';
}

function ignore(): void {}
