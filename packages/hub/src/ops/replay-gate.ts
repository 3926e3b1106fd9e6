import { HubError } from '../errors.js';
import { jitteredRetryAfter } from './retry-after.js';

/** What a waiter watches to learn that its client went away while it waited (a socket, a response). */
export interface DisconnectSignal {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** Gives the slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release | undefined) => void;
  /** Set while waiting; cleared once granted or gone. */
  gone: (() => void) | undefined;
  disconnect: DisconnectSignal | undefined;
}

/**
 * Admission control for history replays: at most `maxActive` resumes read and write history at
 * once, the rest wait in one FIFO queue of at most `maxWaiting`, past which a resume is refused
 * (503 `replay_queue_full` with Retry-After).
 *
 * Why: a resume costs in proportion to the history it replays, a live delivery costs almost
 * nothing. After a restart, or when streams opened together reach their lifetime together,
 * thousands of resumes arrive at once; replaying them all concurrently spreads the hub's time
 * over all of them, so every one of them finishes late, and the later ones ask for ids that have
 * left history meanwhile (an `earliest` resume replays everything: the lag feeds itself). In
 * FIFO order the oldest positions, the nearest to falling out of history, are served first, and
 * live delivery and /metrics keep their share of the event loop.
 *
 * A waiter holds only its socket: it is not registered with the broker yet, so nothing is held
 * for it. A waiter whose client leaves is dropped from the queue at once.
 */
export class ReplayGate {
  readonly #maxActive: number;
  readonly #maxWaiting: number;
  #active = 0;
  /** FIFO: `#queue[#head]` is next; departed waiters are left as holes (gone === undefined). */
  #queue: (Waiter | undefined)[] = [];
  #head = 0;
  #waiting = 0;
  #refused = 0;

  constructor(maxActive: number, maxWaiting: number) {
    this.#maxActive = Math.max(1, Math.floor(maxActive));
    this.#maxWaiting = Math.max(0, Math.floor(maxWaiting));
  }

  /** Replays running now. */
  get active(): number {
    return this.#active;
  }

  /** Resumes waiting for a slot. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Resumes refused because the queue was full, since the hub started. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Resolves with a Release once a slot is free, or undefined when the client left while it
   * waited. Throws `replay_queue_full` (synchronously, as a rejected promise) when the queue is
   * full: nothing was written then, so the caller answers the error. `admitted` is for a replay
   * already under way that gave its slot back while its client drained: it waits like the
   * others but is never refused (its stream is open, and there is one per stream at most).
   */
  acquire(disconnect?: DisconnectSignal, admitted = false): Promise<Release | undefined> {
    if (disconnect?.destroyed) return Promise.resolve(undefined);
    if (this.#active < this.#maxActive && this.#waiting === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting >= this.#maxWaiting && !admitted) {
      this.#refused++;
      return Promise.reject(
        new HubError('replay_queue_full', undefined, {
          'Retry-After': jitteredRetryAfter(),
        }),
      );
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { grant: resolve, gone: undefined, disconnect };
      if (disconnect !== undefined) {
        waiter.gone = () => {
          if (waiter.gone === undefined) return;
          waiter.gone = undefined;
          this.#waiting--;
          resolve(undefined);
          this.#compact();
        };
        disconnect.once('close', waiter.gone);
      } else {
        waiter.gone = () => {};
      }
      this.#queue.push(waiter);
      this.#waiting++;
    });
  }

  #releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#active--;
      this.#next();
    };
  }

  /** Grants free slots to the oldest waiters still there. */
  #next(): void {
    while (this.#active < this.#maxActive && this.#head < this.#queue.length) {
      const w = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      const gone = w?.gone;
      if (w === undefined || gone === undefined) continue;
      w.gone = undefined;
      if (w.disconnect !== undefined) w.disconnect.off('close', gone);
      this.#waiting--;
      this.#active++;
      w.grant(this.#releaser());
    }
    this.#compact();
  }

  /** Keeps the array from growing with consumed slots and departed waiters. */
  #compact(): void {
    if (this.#waiting === 0) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    // Entries before #head are consumed; after it, the ones that are not waiting departed.
    const dead = this.#queue.length - this.#waiting;
    if (dead > 1024 && dead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head).filter((w) => w?.gone !== undefined);
      this.#head = 0;
    }
  }
}
