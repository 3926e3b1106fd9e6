import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** Warnings about running out of descriptors come at most this often (ms). */
const WARN_EVERY_MS = 10_000;

/**
 * Counts open connections against the file descriptors the process had free at start. Past
 * that, accept(2) fails with EMFILE and libuv closes the new connections at once (its reserve
 * descriptor trick): the hub is never told, and clients just see a reset. This warning is the
 * operator's sign to raise `ulimit -n` (or to look for idle connections piling up).
 */
export class ConnectionWatch {
  readonly #capacity: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  #open = 0;
  #warnedAt = Number.NEGATIVE_INFINITY;

  /** `headroom`: descriptors free at start (undefined: unknown, no warning). */
  constructor(headroom: number | undefined, logger: Logger, now: () => number = Date.now) {
    // A few descriptors go to other things (log files, store, DNS): warn a little before the end.
    this.#capacity = headroom === undefined ? Number.POSITIVE_INFINITY : Math.max(1, headroom - 8);
    this.#logger = logger;
    this.#now = now;
  }

  get open(): number {
    return this.#open;
  }

  track(socket: Socket): void {
    this.#open++;
    socket.once('close', () => {
      this.#open--;
    });
    if (this.#open < this.#capacity) return;
    const now = this.#now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#warnedAt = now;
    this.#logger.warn(
      { connections: this.#open, capacity: this.#capacity },
      'file descriptors nearly exhausted: further connections are reset unanswered until some close (raise ulimit -n)',
    );
  }
}
