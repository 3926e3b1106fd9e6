import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { writeHead } from '../http/header-value.js';
import { withoutHopByHop } from '../http/hop-by-hop.js';
import { FlowControlledSink, type FlowControlOptions } from './flow-controlled-sink.js';
import type { CloseReason, Framing, Opening } from './sink.js';
import { SSE_CHUNKS } from './sse-framing.js';
import { sseResponseHeaders } from './sse-headers.js';
import { unchunk } from './unchunk.js';

/** Where a response (or its socket) finds its sink: the listeners are shared functions, not closures. */
const kSink = Symbol('tidings.sseResponseSink');
type Holder = (Socket | ServerResponse) & { [kSink]?: SseResponseSink | undefined };

/** No CORS headers to put first: node:http has them from the route's `setHeader` already. */
const NONE: Readonly<Record<string, string>> = Object.freeze({});

/**
 * SSE over a response node:http or an embedding app hands the hub: node:http(s), node:http2's
 * compatibility API, `hub.fetch()`'s exchange. Headers go through node:http (`writeHead`, every
 * value through `headerValue`); then, on node:http, frames go to its socket directly, as the
 * pre-framed chunks they are (ServerResponse would frame, and cork, every call again). A response
 * that frames bodies itself (HTTP/2, Fetch) and an HTTP/1.0 body are written the payloads.
 */
export class SseResponseSink extends FlowControlledSink {
  readonly #res: Holder & ServerResponse;
  /** Where frames go once the head is out: the socket (node:http) or the response itself. */
  #out: Holder | undefined;
  /** Frames are written as payloads (`unchunk`): the body is not chunked by us. */
  readonly #unchunk: boolean;

  constructor(res: ServerResponse, opts: FlowControlOptions) {
    super(opts);
    this.#res = res;
    this.#unchunk = isHttp10(res) || !isNodeHttp(res);
    this.#res[kSink] = this;
    res.on('close', onHolderClose);
    res.on('error', onResponseError);
  }

  get framing(): Framing {
    return SSE_CHUNKS;
  }

  /** node:http's version of the request; a Fetch exchange has none of its own. */
  get protocol(): string | undefined {
    const req = this.#res.req as ServerResponse['req'] | undefined;
    return req?.httpVersion === undefined ? undefined : `http/${req.httpVersion}`;
  }

  /** Sends the status line and headers now (a client publishing on `open` cannot race us), then the preamble. */
  open(opening: Opening): void {
    if (this.closed) return;
    const res = this.#res;
    const headers = sseResponseHeaders(NONE, opening, isHttp10(res));
    // Not node:http's own response (node:http2's, a Fetch exchange): it frames the body itself.
    if (!isNodeHttp(res)) {
      writeHead(res, 200, withoutHopByHop(headers));
      res.flushHeaders();
      // The response is where frames go: it emits `drain` and `close` itself (and holds kSink).
      this.#out = res;
      res.on('drain', onHolderDrain);
    } else {
      const socket = res.socket as Holder | null;
      if (socket === null) {
        this.#awaitTurn(opening);
        return;
      }
      (socket as Socket).setNoDelay(true);
      writeHead(res, 200, headers);
      res.flushHeaders();
      if (!res.chunkedEncoding && !isHttp10(res)) {
        // Only chunked bodies can be written past ServerResponse (our chunks are pre-framed).
        this.ended('error');
        res.destroy();
        return;
      }
      this.#out = socket;
      socket[kSink] = this;
      socket.on('drain', onHolderDrain);
    }
    const preamble = this.framing.preamble(opening.retryMs);
    this.opened(preamble === undefined || preamble.length === 0 ? undefined : this.#wire(preamble));
  }

  /**
   * node:http answers a connection's requests in order: a request that came on a kept-alive
   * connection while the previous response was still being written (its `finish` not seen yet,
   * which a busy event loop makes likely) has a response without a socket until that one is done
   * (`assignSocket`, which emits `socket`). The head waits for it, and frames wait in the queue
   * as they do before any open. Taken for a client gone, this request would stay unanswered,
   * its EventSource 'connecting' for ever. If the connection closes first, node:http never
   * assigns it: the client went.
   */
  #awaitTurn(opening: Opening): void {
    const connection = this.#res.req?.socket;
    if (connection === undefined || connection === null || connection.destroyed) {
      this.ended('client');
      return;
    }
    const gone = () => this.ended('client');
    connection.once('close', gone);
    this.#res.once('socket', () => {
      connection.off('close', gone);
      this.open(opening);
    });
  }

  protected send(frames: Buffer): boolean {
    return this.#out!.write(this.#wire(frames));
  }

  protected sendAsIs(bytes: Buffer): boolean {
    return this.#out!.write(bytes);
  }

  #wire(chunks: Buffer): Buffer {
    return this.#unchunk ? unchunk(chunks) : chunks;
  }

  /**
   * A graceful end (lifetime, token, shutdown) ends the response (its terminating chunk), so
   * EventSource reconnects; a dropped slow consumer is destroyed, since its socket cannot drain.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    const res = this.#res;
    if (reason === 'slow_consumer' || reason === 'write_timeout' || reason === 'error') res.destroy();
    else {
      res.end();
      // The end may wait behind what the socket holds: a client that never reads gets the write
      // timeout to take it, like any blocked write (it would otherwise hold its descriptor).
      // Whether the socket is blocked at this moment does not tell: the kernel buffers can hold
      // megabytes the client never reads. A response that finished is left to node:http's
      // keep-alive.
      setTimeout(lingerEnded, this.lingerMs, res).unref();
    }
    this.ended(reason);
  }

  destroy(): void {
    this.#res.destroy();
    this.ended('shutdown');
  }

  protected released(): void {
    const res = this.#res;
    const out = this.#out;
    res[kSink] = undefined;
    if (out === res) res.off('drain', onHolderDrain);
    else if (out !== undefined) {
      // node:http may keep this connection for another request: our listener goes.
      out.off('drain', onHolderDrain);
      out[kSink] = undefined;
    }
  }
}

function onHolderClose(this: Holder): void {
  this[kSink]?.ended('client');
}

function onResponseError(this: Holder): void {
  this[kSink]?.ended('error');
}

function onHolderDrain(this: Holder): void {
  this[kSink]?.drained();
}

/** Past the linger after a graceful end: node:http's response only if unfinished, another if not destroyed. */
function lingerEnded(res: ServerResponse): void {
  if (isNodeHttp(res) ? !res.writableFinished : !res.destroyed) res.destroy();
}

function isNodeHttp(res: object): boolean {
  return res instanceof ServerResponse;
}

function isHttp10(res: ServerResponse): boolean {
  const req = res.req as ServerResponse['req'] | undefined;
  return req?.httpVersionMajor === 1 && req.httpVersionMinor === 0;
}
