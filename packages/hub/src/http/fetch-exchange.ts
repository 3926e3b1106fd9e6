import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { isHopByHop } from './hop-by-hop.js';

/** Headers that belong to one HTTP/1.1 connection: a Fetch `Response` (or HTTP/2) carries none (RFC 9113 8.2.2). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);

/** A Fetch exchange as the request/response pair the hub's handlers take, and the `Response` they make. */
export interface FetchExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Settles once the handler has sent its head (streaming) or its whole answer. */
  readonly response: Promise<Response>;
}

/**
 * Serves a Fetch `Request` with the same handlers as node:http, so an update published or a
 * stream opened through `hub.fetch()` goes through exactly the validation, auth and limits of
 * the HTTP paths. The request side is a Readable over the request body with the fields the
 * handlers read (method, url, headers, socket.remoteAddress); the response side records the
 * head and turns the body into a `Response`: buffered for a short answer, a streaming body
 * (with backpressure: `write()` returns false until the reader pulls) once the head is flushed.
 * The client leaving (the body cancelled or the request aborted) is the socket's `close`.
 */
export function fetchExchange(request: Request, remoteAddress: string): FetchExchange {
  const socket = new ExchangeSocket(remoteAddress);
  const url = new URL(request.url);
  const body =
    request.body === null
      ? Readable.from([] as Buffer[])
      : Readable.fromWeb(request.body as unknown as NodeReadableStream<Uint8Array>);
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of request.headers) {
    // Fetch joins repeated headers with ", " already; set-cookie never comes in a request.
    headers[name] = value;
  }
  const req = Object.assign(body, {
    method: request.method,
    url: url.pathname + url.search,
    headers,
    socket,
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    complete: false,
  }) as unknown as IncomingMessage & { complete: boolean };
  body.once('end', () => {
    req.complete = true;
  });
  const onAbort = () => socket.destroy();
  request.signal.addEventListener('abort', onAbort, { once: true });
  const res = new ExchangeResponse(socket, () => request.signal.removeEventListener('abort', onAbort));
  return { req, res: res as unknown as ServerResponse, response: res.response };
}

/** What the handlers use of a socket: the peer address, and `close` when the client leaves. */
class ExchangeSocket extends EventEmitter {
  readonly remoteAddress: string;
  destroyed = false;

  constructor(remoteAddress: string) {
    super();
    this.remoteAddress = remoteAddress;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}

/** The subset of ServerResponse the hub's handlers use, producing a Fetch `Response`. */
class ExchangeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  readonly socket: ExchangeSocket;
  readonly response: Promise<Response>;
  readonly #headers = new Map<string, [string, string]>();
  readonly #done: () => void;
  #resolve!: (r: Response) => void;
  #stream: PassThrough | undefined;
  #ended = false;

  constructor(socket: ExchangeSocket, done: () => void) {
    super();
    this.socket = socket;
    this.#done = done;
    this.response = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    socket.once('close', () => this.#close());
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.#headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.join(', ') : String(value)]);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.#headers.get(name.toLowerCase())?.[1];
  }

  hasHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.#headers.delete(name.toLowerCase());
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders | Record<string, string>): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers ?? {})) {
      if (value !== undefined) this.setHeader(name, value as string);
    }
    this.headersSent = true;
    return this;
  }

  /** The head goes now: from here the body is a stream. */
  flushHeaders(): void {
    this.headersSent = true;
    this.#startStream();
  }

  write(chunk: Buffer | string): boolean {
    if (this.#ended || this.destroyed) return false;
    this.headersSent = true;
    return this.#startStream().write(chunk);
  }

  end(chunk?: Buffer | string): this {
    if (this.#ended) return this;
    this.#ended = true;
    this.headersSent = true;
    const stream = this.#stream;
    if (stream !== undefined) {
      stream.end(chunk);
      return this;
    }
    const body = chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk);
    const empty = this.statusCode === 204 || this.statusCode === 304 || body.length === 0;
    this.#resolve(
      new Response(empty ? null : body, { status: this.statusCode, headers: this.#headerList() }),
    );
    this.#done();
    queueMicrotask(() => this.emit('finish'));
    return this;
  }

  destroy(): this {
    const stream = this.#stream;
    if (stream !== undefined) stream.destroy();
    else if (!this.#ended) {
      // Nothing was sent yet: the closest a Fetch handler has to a reset.
      this.#ended = true;
      this.#resolve(Response.error());
    }
    this.socket.destroy();
    return this;
  }

  #startStream(): PassThrough {
    let stream = this.#stream;
    if (stream !== undefined) return stream;
    stream = new PassThrough();
    this.#stream = stream;
    stream.on('drain', () => this.emit('drain'));
    // The reader cancelled (the client left) or the body ended: either way the exchange is over.
    stream.once('close', () => this.socket.destroy());
    const body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
    this.#resolve(new Response(body, { status: this.statusCode, headers: this.#headerList() }));
    return stream;
  }

  #close(): void {
    this.#done();
    if (!this.#ended && this.#stream === undefined) {
      this.#ended = true;
      this.#resolve(Response.error());
    }
    this.#stream?.destroy();
    this.emit('close');
  }

  #headerList(): [string, string][] {
    const list: [string, string][] = [];
    for (const [lower, pair] of this.#headers) if (!isHopByHop(lower)) list.push(pair);
    return list;
  }
}
