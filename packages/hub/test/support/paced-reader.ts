import { connect, type Socket } from 'node:net';
import { parseResponse } from './raw-http.js';

/** One event as a paced reader saw it. */
export interface PacedEvent {
  readonly id: string;
  readonly data: string;
  /** performance.now() when its last byte was parsed. */
  readonly at: number;
  /** Which connection (0 = the first) delivered it. */
  readonly connection: number;
}

/** How one connection ended. */
export interface ConnectionEnd {
  /** `graceful`: the terminating chunk arrived (lifetime, shutdown); `reset`: closed without it. */
  readonly how: 'graceful' | 'reset' | 'client';
  readonly at: number;
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
}

export interface PacedReaderOptions {
  /** Read one socket chunk every this many ms on the first connection (undefined: read everything at once). */
  readonly paceMs?: number;
  /** Reconnect with Last-Event-ID when a connection ends, after this many ms (undefined: stay closed). */
  readonly reconnectMs?: number;
  readonly headers?: Record<string, string>;
  /** Local address to connect from (127.0.0.x: another client for per-client limits). */
  readonly localAddress?: string;
}

/**
 * An SSE subscriber on a raw socket that can read slowly on purpose: it pauses the socket and
 * lets one chunk through every `paceMs`, so the hub's writes back up into its queue as with a
 * slow phone. It parses events as they are read, remembers the last id, and on a drop reconnects
 * with Last-Event-ID (reading at full speed from then on), like EventSource.
 */
export class PacedReader {
  readonly events: PacedEvent[] = [];
  readonly ends: ConnectionEnd[] = [];
  /** Statuses of every connection's answer, in order, and their headers (lower-case names). */
  readonly statuses: (number | undefined)[] = [];
  readonly heads: Record<string, string>[] = [];
  readonly #port: number;
  readonly #path: string;
  readonly #opts: PacedReaderOptions;
  #socket: Socket | undefined;
  #pacer: NodeJS.Timeout | undefined;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(port: number, path: string, opts: PacedReaderOptions = {}) {
    this.#port = port;
    this.#path = path;
    this.#opts = opts;
  }

  /** Connects and resolves once the response head of the first connection arrived. */
  async open(): Promise<PacedReader> {
    await this.#connect(undefined);
    return this;
  }

  get connections(): number {
    return this.statuses.length;
  }

  get lastId(): string | undefined {
    return this.events.at(-1)?.id;
  }

  /** Resolves once `ok()` holds; rejects after `timeoutMs`. */
  async until(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  /** Reads at full speed from now on (what is still in flight arrives at once). */
  unpace(): void {
    clearInterval(this.#pacer);
    this.#socket?.resume();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#pacer);
    this.#socket?.destroy();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  #connect(lastEventId: string | undefined): Promise<void> {
    const connection = this.statuses.length;
    this.statuses.push(undefined);
    const paced = connection === 0 && this.#opts.paceMs !== undefined;
    return new Promise((resolveHead, rejectHead) => {
      const socket = connect({
        port: this.#port,
        host: '127.0.0.1',
        ...(this.#opts.localAddress !== undefined && { localAddress: this.#opts.localAddress }),
      });
      this.#socket = socket;
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...this.#opts.headers };
      if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
      socket.write(
        `GET ${this.#path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
      let head: ReturnType<typeof parseResponse> | undefined;
      let raw = Buffer.alloc(0);
      let body = Buffer.alloc(0);
      let text = '';
      let graceful = false;
      const onBody = (chunk: Buffer) => {
        // Chunked transfer coding: size line, data, CRLF; 0 ends the stream.
        body = Buffer.concat([body, chunk]);
        for (;;) {
          const eol = body.indexOf('\r\n');
          if (eol === -1) return;
          const size = Number.parseInt(body.subarray(0, eol).toString('latin1'), 16);
          if (size === 0) {
            // The response is over: like EventSource, close and reconnect now (not when the
            // server's keep-alive timeout closes the idle connection).
            graceful = true;
            socket.destroy();
            return;
          }
          if (body.length < eol + 2 + size + 2) return;
          text += body.subarray(eol + 2, eol + 2 + size).toString('utf8');
          body = body.subarray(eol + 2 + size + 2);
          let end = text.indexOf('\n\n');
          while (end !== -1) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            end = text.indexOf('\n\n');
            let id = '';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0)
              this.events.push({ id, data: data.join('\n'), at: performance.now(), connection });
          }
          this.#wake();
        }
      };
      socket.on('data', (b: Buffer) => {
        if (head !== undefined) {
          onBody(b);
          return;
        }
        raw = Buffer.concat([raw, b]);
        const end = raw.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = parseResponse(raw.subarray(0, end + 4), false, 0);
        this.statuses[connection] = head.status;
        this.heads[connection] = head.headers;
        resolveHead();
        if (paced) {
          // From now on, one chunk per tick of the pacer.
          socket.pause();
          this.#pacer = setInterval(() => {
            if (socket.destroyed) return;
            socket.once('data', () => socket.pause());
            socket.resume();
          }, this.#opts.paceMs);
        }
        if (head.status === 200) onBody(raw.subarray(end + 4));
        else socket.end();
      });
      socket.on('error', (e) => {
        if (head === undefined) rejectHead(e);
      });
      socket.on('close', () => {
        if (paced) clearInterval(this.#pacer);
        const how = this.#closed ? 'client' : graceful ? 'graceful' : 'reset';
        this.ends.push({ how, at: performance.now(), status: head?.status, headers: head?.headers ?? {} });
        this.#wake();
        if (head === undefined) rejectHead(new Error('closed before a response head'));
        if (this.#closed || this.#opts.reconnectMs === undefined || head?.status !== 200) return;
        setTimeout(() => {
          if (!this.#closed) this.#connect(this.lastId).catch(() => {});
        }, this.#opts.reconnectMs);
      });
    });
  }
}
