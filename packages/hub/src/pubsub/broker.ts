import { WriteCoalescer } from '../stream/write-coalescer.js';
import type { Subscriber } from './subscriber.js';
import { TopicIndex } from './topic-index.js';
import type { Update } from './update.js';

/** The local fan-out: subscribers by client and by topic; each update is delivered at most once per subscriber. */
export class Broker {
  readonly #index = new TopicIndex();
  readonly #subscribers = new Set<Subscriber>();
  readonly #perClient = new Map<string, number>();
  #epoch = 0;
  readonly #coalescer = new WriteCoalescer();

  add(sub: Subscriber): void {
    this.#subscribers.add(sub);
    this.#perClient.set(sub.clientKey, (this.#perClient.get(sub.clientKey) ?? 0) + 1);
    this.#index.add(sub);
  }

  remove(sub: Subscriber): boolean {
    if (!this.#subscribers.delete(sub)) return false;
    const n = (this.#perClient.get(sub.clientKey) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(sub.clientKey);
    else this.#perClient.set(sub.clientKey, n);
    this.#index.remove(sub);
    return true;
  }

  /** Delivers the update's shared frame to every matching subscriber; returns how many got it. */
  dispatch(update: Update): number {
    const epoch = ++this.#epoch;
    const coalescer = this.#coalescer;
    coalescer.begin(update.chunk);
    let delivered = 0;
    this.#index.forEachMatch(update.topics, (sub) => {
      if (sub.mark === epoch) return;
      sub.mark = epoch;
      if (sub.canRead(update) && sub.deliver(update, coalescer)) delivered++;
    });
    return delivered;
  }

  countForClient(clientKey: string): number {
    return this.#perClient.get(clientKey) ?? 0;
  }

  get size(): number {
    return this.#subscribers.size;
  }

  get topicCount(): number {
    return this.#index.size;
  }

  subscribers(): IterableIterator<Subscriber> {
    return this.#subscribers.values();
  }
}
