import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { idHeaderValue } from '../../http/header-value.js';
import { FlowControlledSink, type FlowControlOptions } from '../../stream/flow-controlled-sink.js';
import type { CloseReason, Framing, Opening } from '../../stream/sink.js';
import { textFrame } from './websocket-frame.js';
import { framingFor, WEBSOCKET_TEXT } from './websocket-framing.js';
import { CLOSE_CODES } from './websocket-options.js';

/** Where a socket or WebSocket finds its sink: the listeners are shared functions, not closures per sink. */
const kSink = Symbol('tidings.webSocketSink');
type Holder = { [kSink]?: WebSocketSink | undefined };
type SinkWebSocket = WebSocket & Holder;

/**
 * Completes the opening handshake (RFC 6455 4.2.2: the 101 answer, with `headers` added): the
 * WebSocket and the `Sec-WebSocket-Extensions` it answered (with their parameters), or undefined
 * when it could not (the socket is then destroyed).
 */
export type Handshake = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  headers: Readonly<Record<string, string>>,
) => { readonly ws: WebSocket; readonly extensions: string } | undefined;

/** What the hub does with a message the client sends (publishing over the socket, or a refusal). */
export type MessageHandler = (ws: WebSocket, data: Buffer, isBinary: boolean) => void;

/**
 * A subscription over WebSocket (RFC 6455). The request was admitted, registered and its history
 * read before the handshake completes: a refusal is a plain HTTP answer (status, problem, Retry-After),
 * as for SSE, and the 101 answer carries what SSE's head carries (`Mercure-Last-Event-ID` on a
 * resume). Browsers cannot read those headers, so a resume's first message says the same:
 * `{"last_event_id": "<id or earliest>"}` (a message without `id` and `data` is never an update).
 *
 * `ws` does the handshake and reads what the client sends (pongs, close frames, publishes);
 * updates are written to the socket as frames encoded once per update (websocket-framing.ts),
 * through `FlowControlledSink`: while the socket holds more than its high-water mark (the
 * socket's share of `bufferedAmount`) the sink queues, bounded, and a client that does not drain
 * within the write timeout, or overflows the queue, is dropped like a slow SSE subscriber.
 */
export class WebSocketSink extends FlowControlledSink {
  readonly #socket: Duplex & Holder;
  #req: IncomingMessage | undefined;
  #head: Buffer | undefined;
  readonly #handshake: Handshake;
  readonly #onMessage: MessageHandler;
  #ws: (WebSocket & Holder) | undefined;
  #framing: Framing = WEBSOCKET_TEXT;
  /** A ping went out and no pong (nor anything else) came back since. */
  awaitingPong = false;

  constructor(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    opts: FlowControlOptions,
    handshake: Handshake,
    onMessage: MessageHandler,
  ) {
    super(opts);
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#handshake = handshake;
    this.#onMessage = onMessage;
  }

  get framing(): Framing {
    return this.#framing;
  }

  /** The handshake's 101 answer, then (on a resume) the first message, in one turn. */
  open(opening: Opening): void {
    if (this.closed) return;
    const socket = this.#socket;
    const req = this.#req!;
    const head = this.#head!;
    this.#req = undefined;
    this.#head = undefined;
    if (socket.destroyed) {
      this.ended('client');
      return;
    }
    const headers: Record<string, string> = { ...opening.headers };
    if (opening.continueFrom !== undefined) {
      const carried = idHeaderValue(opening.continueFrom);
      headers['Mercure-Last-Event-ID'] = carried;
      headers['Last-Event-ID'] = carried;
    }
    const done = this.#handshake(req, socket, head, headers);
    if (done === undefined) {
      socket.destroy();
      this.ended('error');
      return;
    }
    const ws = done.ws as SinkWebSocket;
    this.#ws = ws;
    ws[kSink] = this;
    socket[kSink] = this;
    this.#framing = framingFor(done.extensions);
    ws.on('close', onClose);
    ws.on('error', ignore);
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    socket.on('drain', onDrain);
    const first =
      opening.continueFrom === undefined
        ? undefined
        : textFrame(JSON.stringify({ last_event_id: opening.continueFrom }));
    this.opened(first);
  }

  protected send(frames: Buffer): boolean {
    return this.#socket.write(frames);
  }

  protected sendAsIs(bytes: Buffer): boolean {
    return this.#socket.write(bytes);
  }

  /**
   * A ping after a period of silence (the hub's heartbeat); a client that has not answered the
   * previous one within a whole period is gone (a dead peer, a dropped NAT mapping) and its
   * connection is closed. None while the socket pushes back: the write timeout decides then.
   */
  override heartbeat(): void {
    if (!this.isOpen || this.blocked) return;
    if (this.awaitingPong) {
      this.#socket.destroy();
      return;
    }
    this.awaitingPong = true;
    super.heartbeat();
  }

  /** Something came from the client: it is there. */
  heard(data: Buffer, isBinary: boolean): void {
    this.awaitingPong = false;
    if (this.#ws !== undefined) this.#onMessage(this.#ws, data, isBinary);
  }

  /**
   * A graceful end (lifetime, token, shutdown) is a close frame with its code (CLOSE_CODES), after
   * which the client reconnects and resumes; the connection is closed past the write timeout if
   * the client does not answer it. A dropped slow consumer's connection is destroyed: it cannot
   * drain, and a close frame would wait behind everything it holds.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    const ws = this.#ws;
    if (
      ws === undefined ||
      !this.isOpen ||
      reason === 'client' ||
      reason === 'slow_consumer' ||
      reason === 'write_timeout' ||
      reason === 'error'
    ) {
      this.#socket.destroy();
    } else {
      ws.close(CLOSE_CODES[reason], reason);
      setTimeout(lingerEnded, this.lingerMs, this.#socket).unref();
    }
    this.ended(reason);
  }

  destroy(): void {
    this.#socket.destroy();
    this.ended('shutdown');
  }

  /** Lets the socket go untouched, before open(), and reports no close: the transport answers the refusal. */
  abandon(): void {
    if (this.closed || this.isOpen) return;
    this.discard();
    this.#req = undefined;
    this.#head = undefined;
  }

  protected released(): void {
    this.#socket[kSink] = undefined;
    if (this.#ws !== undefined) this.#ws[kSink] = undefined;
    this.#socket.off('drain', onDrain);
  }
}

function onClose(this: SinkWebSocket): void {
  this[kSink]?.ended('client');
}

function onDrain(this: Holder): void {
  this[kSink]?.drained();
}

function onPong(this: SinkWebSocket): void {
  const sink = this[kSink];
  if (sink !== undefined) sink.awaitingPong = false;
}

function onMessage(this: SinkWebSocket, data: Buffer, isBinary: boolean): void {
  this[kSink]?.heard(data, isBinary);
}

/** Past the linger after a close frame: the connection is closed if the client has not closed it. */
function lingerEnded(socket: Duplex): void {
  if (!socket.destroyed) socket.destroy();
}

function ignore(): void {}
