import type { Socket } from 'node:net';

/**
 * Connections waiting for a request to complete, and when each one's time is up: node:http's
 * headersTimeout for a head, counted from the request's first byte (or the connection's start),
 * and its requestTimeout for a whole request, head and body, counted from the same moment. The
 * raw intakes keep the same deadlines as node:http (slowloris), with one sweep for all.
 */
export class RequestDeadlines {
  readonly #headersTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #checkEveryMs: number;
  readonly #expired: (socket: Socket) => void;
  readonly #waiting = new Map<Socket, { start: number; deadline: number }>();
  #sweeper: NodeJS.Timeout | undefined;

  /** `headersTimeoutMs` or `requestTimeoutMs` <= 0: no such deadline. `expired` is told once per deadline passed. */
  constructor(
    headersTimeoutMs: number,
    requestTimeoutMs: number,
    checkEveryMs: number,
    expired: (socket: Socket) => void,
  ) {
    this.#headersTimeoutMs = headersTimeoutMs;
    this.#requestTimeoutMs = requestTimeoutMs;
    this.#checkEveryMs = checkEveryMs;
    this.#expired = expired;
  }

  has(socket: Socket): boolean {
    return this.#waiting.has(socket);
  }

  /** A head is awaited from now: a new connection, or the next request of a kept one. */
  start(socket: Socket): void {
    if (this.#headersTimeoutMs <= 0) return;
    const now = Date.now();
    this.#set(socket, now, now + this.#headersTimeoutMs);
  }

  /** A head is awaited; one already awaited keeps its clock. */
  awaitHead(socket: Socket): void {
    if (!this.#waiting.has(socket)) this.start(socket);
  }

  /** The head is in and the body is awaited: the request's deadline, from its first byte. */
  awaitBody(socket: Socket): void {
    if (this.#requestTimeoutMs <= 0) {
      this.#waiting.delete(socket);
      return;
    }
    const start = this.#waiting.get(socket)?.start ?? Date.now();
    this.#set(socket, start, start + this.#requestTimeoutMs);
  }

  /** The request is complete (or the connection is someone else's): no deadline. */
  done(socket: Socket): void {
    this.#waiting.delete(socket);
  }

  #set(socket: Socket, start: number, deadline: number): void {
    this.#waiting.set(socket, { start, deadline });
    if (this.#sweeper !== undefined) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#checkEveryMs);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [socket, { deadline }] of this.#waiting) {
      if (socket.destroyed) this.#waiting.delete(socket);
      else if (deadline <= now) {
        this.#waiting.delete(socket);
        this.#expired(socket);
      }
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
