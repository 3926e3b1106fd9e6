/**
 * What was published, per topic: each topic has its own sequence, and one publish in flight at a
 * time, so the hub's order on a topic is the sequence order. A subscriber's gap is a loss unless
 * every update in it was not acknowledged (answered other than 200, or no answer).
 */
export const PENDING = 0;
export const ACKED = 1;
export const FAILED = 2;

export class PublishLedger {
  readonly #status: Uint8Array[];
  readonly #next: number[];
  readonly #lastAcked: number[];
  acked = 0;
  failed = 0;

  constructor(topics: number) {
    this.#status = Array.from({ length: topics }, () => new Uint8Array(1024));
    this.#next = new Array<number>(topics).fill(0);
    this.#lastAcked = new Array<number>(topics).fill(-1);
  }

  get topics(): number {
    return this.#next.length;
  }

  /** Reserves the next sequence number of `topic`. */
  begin(topic: number): number {
    const seq = this.#next[topic]!;
    this.#next[topic] = seq + 1;
    let s = this.#status[topic]!;
    if (seq >= s.length) {
      const grown = new Uint8Array(s.length * 2);
      grown.set(s);
      this.#status[topic] = s = grown;
    }
    s[seq] = PENDING;
    return seq;
  }

  settle(topic: number, seq: number, ok: boolean): void {
    this.#status[topic]![seq] = ok ? ACKED : FAILED;
    if (ok) {
      this.acked++;
      if (seq > this.#lastAcked[topic]!) this.#lastAcked[topic] = seq;
    } else this.failed++;
  }

  status(topic: number, seq: number): number {
    return seq < this.#next[topic]! ? this.#status[topic]![seq]! : PENDING;
  }

  /** Highest acknowledged sequence number of `topic` (-1 when none). */
  lastAcked(topic: number): number {
    return this.#lastAcked[topic]!;
  }
}
