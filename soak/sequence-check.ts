import { FAILED, type PublishLedger } from './publish-ledger.js';

export type ViolationKind = 'duplicate_or_reorder' | 'gap' | 'missing_tail';

export interface Violation {
  readonly kind: ViolationKind;
  readonly topic: number;
  /** The sequence number received (duplicate/reorder) or missing (gap, tail). */
  readonly seq: number;
  /** What the subscriber had seen last on that topic. */
  readonly last: number;
}

/**
 * One subscriber's view of each of its topics, across reconnects: every acknowledged update
 * exactly once, in order. Fed as events arrive; `finish` checks nothing acknowledged is missing
 * at the end.
 */
export class SequenceCheck {
  readonly #last: Int32Array;
  readonly #topics: readonly number[];
  readonly #ledger: PublishLedger;
  /** First violations only (a broken run would otherwise fill memory); `count` has them all. */
  readonly violations: Violation[] = [];
  count = 0;
  /** Updates that left history before this subscriber came back for them (not a loss by the hub). */
  expiredGaps = 0;
  /** Per topic: an `earliest` replay is under way (until the first update not seen yet). */
  readonly #expiring: Uint8Array;

  constructor(ledger: PublishLedger, topics: readonly number[]) {
    this.#ledger = ledger;
    this.#topics = topics;
    this.#last = new Int32Array(ledger.topics).fill(-1);
    this.#expiring = new Uint8Array(ledger.topics);
  }

  /**
   * The hub answered a resume with `earliest`: it replays all of history it still has, so what
   * was already seen comes again (skipped) and what left history is gone (counted apart).
   */
  expire(): void {
    for (const t of this.#topics) this.#expiring[t] = 1;
  }

  observe(topic: number, seq: number): void {
    const last = this.#last[topic]!;
    if (this.#expiring[topic] === 1) {
      if (seq <= last) return;
      this.#expiring[topic] = 0;
      for (let s = last + 1; s < seq; s++) if (this.#ledger.status(topic, s) !== FAILED) this.expiredGaps++;
      this.#last[topic] = seq;
      return;
    }
    if (seq <= last) {
      this.#violate({ kind: 'duplicate_or_reorder', topic, seq, last });
      return;
    }
    // The publisher sends seq+1 only after seq was answered, so the status of a skipped one is final.
    for (let s = last + 1; s < seq; s++) {
      if (this.#ledger.status(topic, s) !== FAILED) this.#violate({ kind: 'gap', topic, seq: s, last });
    }
    this.#last[topic] = seq;
  }

  /** True once every acknowledged update of every topic has arrived. */
  caughtUp(): boolean {
    for (const t of this.#topics) if (this.#last[t]! < this.#ledger.lastAcked(t)) return false;
    return true;
  }

  /** Counts acknowledged updates that never arrived (after the run). */
  finish(): void {
    for (const t of this.#topics) {
      const last = this.#last[t]!;
      for (let s = last + 1; s <= this.#ledger.lastAcked(t); s++) {
        if (this.#ledger.status(t, s) !== FAILED)
          this.#violate({ kind: 'missing_tail', topic: t, seq: s, last });
      }
    }
  }

  #violate(v: Violation): void {
    this.count++;
    if (this.violations.length < 5) this.violations.push(v);
  }
}
