import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { HubError } from '../errors.js';
import { settleError } from '../http/error-answer.js';
import type { HubContext } from '../hub-context.js';
import { PublishAck } from '../publish/publish-ack.js';
import { publishForm } from '../publish/publish-handler.js';
import { refusalBytes } from '../stream/raw-refusal.js';
import { emptyHeadCache, type PublishRequest, readPublishRequest } from './publish-head.js';
import type { RequestDeadlines } from './request-deadlines.js';

/**
 * Requests read ahead of their answers on one connection before it stops reading (node:http
 * stops reading a pipelining client whose answers are not taken, too).
 */
export const MAX_PIPELINED_PUBLISHES = 1024;

export interface RawPublishOptions {
  /** Heads longer than this are node:http's (its --max-http-header-size). */
  readonly maxHeadBytes: number;
  /** The server's keepAliveTimeout: an idle connection is closed after it, as node:http does. */
  readonly keepAliveTimeoutMs: number;
  /** Gives the connection to node:http, these bytes first: nothing is pending on it. */
  handOver(socket: Socket, bytes: Buffer): void;
  /** The intake's deadlines (node:http's headersTimeout and requestTimeout) for an incomplete request. */
  readonly deadlines: RequestDeadlines;
  /** The connection is done (closed, or node:http's now). */
  done(connection: RawPublishConnection): void;
}

/** One answer, in request order: undefined bytes while the publish is under way. */
interface Answer {
  bytes: Buffer | undefined;
  /** The connection ends after this answer. */
  close: boolean;
}

/**
 * Form publishes on a raw socket: a keep-alive connection whose first request is a plain POST to
 * the hub's path (publish-head.ts) is read here, every pipelined request of a read parsed off
 * the bytes at once, each published with the same checks as node:http's route
 * (`publishForm`), and their answers written in request order, as many as are ready in one
 * write. node:http would keep an IncomingMessage, a ServerResponse and their listeners per
 * request and write each answer on its own once the previous one is flushed: that request and
 * response handling was about half of a publish's CPU in the profile (docs/benchmark.md).
 *
 * The first request that is not a plain form publish, and everything after it, goes to
 * node:http, once every earlier answer is written: node:http then answers it as it always did.
 */
export class RawPublishConnection {
  readonly #ctx: HubContext;
  readonly #socket: Socket;
  readonly #o: RawPublishOptions;
  readonly #ack: PublishAck;
  readonly #answers: Answer[] = [];
  /** Bytes of an incomplete request. */
  #rest: Buffer | undefined;
  /** Bytes for node:http, once the answers before them are written. */
  #forHttp: Buffer | undefined;
  #ending = false;
  #corked = false;
  readonly #heads = emptyHeadCache();
  #lastTarget = '';
  #lastUrl: URL | undefined;

  constructor(ctx: HubContext, socket: Socket, options: RawPublishOptions) {
    this.#ctx = ctx;
    this.#socket = socket;
    this.#o = options;
    this.#ack = new PublishAck(options.keepAliveTimeoutMs);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('error', ignore);
    socket.on('close', this.#onClose);
    socket.on('end', this.#onEnd);
    if (options.keepAliveTimeoutMs > 0) socket.setTimeout(options.keepAliveTimeoutMs, this.#onIdle);
  }

  /** Serves the connection's first bytes (a publish head, startsPublish) and what follows. */
  start(first: Buffer): void {
    this.#onData(first);
  }

  /** Shutdown: answer what was read, then close; read nothing more. */
  close(): void {
    this.#ending = true;
    this.#socket.pause();
    this.#flush();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  readonly #onData = (chunk: Buffer): void => {
    // Read before the pause took effect: node:http's too, after what it already has.
    if (this.#forHttp !== undefined) {
      this.#forHttp = Buffer.concat([this.#forHttp, chunk]);
      return;
    }
    if (this.#ending) return;
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    let pos = 0;
    while (pos < buf.length && !this.#ending) {
      const read = readPublishRequest(buf, pos, this.#o.maxHeadBytes, this.#heads);
      if (read === 'head' || read === 'body') {
        this.#rest = buf.subarray(pos);
        if (read === 'head') this.#o.deadlines.awaitHead(this.#socket);
        else this.#o.deadlines.awaitBody(this.#socket);
        break;
      }
      if (read === 'other') {
        this.#forHttp = buf.subarray(pos);
        this.#ending = true;
        this.#socket.pause();
        break;
      }
      this.#serve(read.request);
      pos = read.end;
    }
    if (this.#rest === undefined) this.#o.deadlines.done(this.#socket);
    if (this.#answers.length >= MAX_PIPELINED_PUBLISHES || this.#socket.writableNeedDrain)
      this.#socket.pause();
    this.#flush();
  };

  #serve(request: PublishRequest): void {
    const answer: Answer = { bytes: undefined, close: false };
    this.#answers.push(answer);
    const cors = this.#ctx.cors.headers(request.headers.origin);
    this.#publish(request).then(
      ({ update, notice }) => {
        answer.bytes = this.#ack.bytes(update.id, cors, notice);
        this.#flush();
      },
      (err: unknown) => {
        const e = settleError(this.#ctx, err, 'POST', request.target);
        const { bytes, keepAlive } = refusalBytes(e, {
          cors,
          persistent: true,
          keepAliveTimeoutMs: this.#o.keepAliveTimeoutMs,
        });
        answer.bytes = bytes;
        answer.close = !keepAlive;
        this.#flush();
      },
    );
  }

  async #publish(request: PublishRequest): ReturnType<typeof publishForm> {
    // The checks handlePublish makes before the form (the raw head already is a form publish).
    if (this.#ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
    // What the core reads of a request (headers, target, peer address), without an IncomingMessage.
    const message = {
      method: 'POST',
      url: request.target,
      headers: request.headers,
      socket: this.#socket,
    } as unknown as IncomingMessage;
    return publishForm(this.#ctx, message, this.#url(request.target), () => request.body);
  }

  /** The request's URL, parsed once for a connection that always posts to the same target. */
  #url(target: string): URL {
    if (target !== this.#lastTarget || this.#lastUrl === undefined) {
      this.#lastTarget = target;
      this.#lastUrl = new URL(target, 'http://hub.invalid');
    }
    return this.#lastUrl;
  }

  /** Writes the answers that are ready, in order; corked until the current turn's others are ready too. */
  #flush(): void {
    const socket = this.#socket;
    let n = 0;
    while (n < this.#answers.length && this.#answers[n]!.bytes !== undefined) n++;
    if (n > 0 && !socket.destroyed) {
      if (!this.#corked) {
        this.#corked = true;
        socket.cork();
        process.nextTick(this.#uncork);
      }
      for (let i = 0; i < n; i++) {
        const answer = this.#answers[i]!;
        socket.write(answer.bytes!);
        if (answer.close) {
          // As node:http after a `Connection: close` answer: nothing more is read or answered.
          this.#ending = true;
          this.#forHttp = undefined;
          this.#answers.length = 0;
          socket.end();
          return;
        }
      }
    }
    if (n > 0) this.#answers.splice(0, n);
    if (this.#answers.length > 0 || socket.destroyed) return;
    if (this.#forHttp !== undefined) {
      this.#toHttp();
      return;
    }
    if (this.#ending) {
      socket.end();
      return;
    }
    if (socket.isPaused() && !socket.writableNeedDrain) socket.resume();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Everything before the bytes for node:http is answered: node:http's from here on. */
  #toHttp(): void {
    const bytes = this.#forHttp!;
    this.#forHttp = undefined;
    this.#release(true);
    if (this.#corked) this.#uncork();
    this.#o.handOver(this.#socket, bytes);
  }

  /** `toHttp`: node:http reads on, and the header deadline runs on until it has a request. */
  #release(toHttp: boolean): void {
    const socket = this.#socket;
    socket.off('data', this.#onData);
    socket.off('drain', this.#onDrain);
    socket.off('error', ignore);
    socket.off('close', this.#onClose);
    socket.off('end', this.#onEnd);
    socket.setTimeout(0);
    if (!toHttp) this.#o.deadlines.done(socket);
    this.#o.done(this);
  }

  readonly #onDrain = (): void => {
    if (this.#answers.length < MAX_PIPELINED_PUBLISHES && !this.#ending) this.#socket.resume();
  };

  /** Idle past keepAliveTimeout with nothing under way: closed, as node:http closes its own. */
  readonly #onIdle = (): void => {
    if (this.#answers.length === 0 && this.#rest === undefined) this.#socket.destroy();
  };

  /** The client half-closed: answer what it sent, then close (node:http does the same). */
  readonly #onEnd = (): void => {
    this.#ending = true;
    this.#rest = undefined;
    this.#flush();
  };

  readonly #onClose = (): void => {
    this.#answers.length = 0;
    this.#release(false);
  };
}

function ignore(): void {}
