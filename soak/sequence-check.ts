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

  constructor(ledger: PublishLedger, topics: readonly number[]) {
    this.#ledger = ledger;
    this.#topics = topics;
    this.#last = new Int32Array(ledger.topics).fill(-1);
  }

  observe(topic: number, seq: number): void {
    const last = this.#last[topic]!;
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
