import type { Update } from '../model/update.js';
import type { Subscriber } from './subscriber.js';
import { TopicIndex } from './topic-index.js';
import { WriteCoalescer } from './write-coalescer.js';

/** The local fan-out: subscribers by client and by topic; each update is delivered at most once per subscriber. */
export class Broker {
  readonly #index = new TopicIndex();
  readonly #subscribers = new Set<Subscriber>();
  readonly #perClient = new Map<string, number>();
  /** Admitted subscribes not registered yet (resumes waiting for a replay slot). */
  #reserved = 0;
  #epoch = 0;
  readonly #coalescer = new WriteCoalescer();
  /** Told of every subscriber registered and removed (broker/presence.ts: who has a live stream). */
  readonly #observers: ((sub: Subscriber, present: boolean) => void)[] = [];

  add(sub: Subscriber): void {
    this.#subscribers.add(sub);
    this.#perClient.set(sub.clientKey, (this.#perClient.get(sub.clientKey) ?? 0) + 1);
    const shared = sub.shared;
    // A shared conflation stands in the index for all its members (broker/conflation.ts).
    if (shared === undefined) this.#index.add(sub);
    else if (shared.join(sub)) this.#index.add(shared);
    for (const o of this.#observers) o(sub, true);
  }

  /** Calls `observer` for each subscriber registered (true) and removed (false) from now on. */
  observe(observer: (sub: Subscriber, present: boolean) => void): void {
    this.#observers.push(observer);
  }

  /**
   * Counts an admitted subscribe against the caps until it is registered or gone (issue 10): a
   * resume waits for its replay slot before `add`, and must not let a burst past the caps. The
   * returned function gives the place back; calling it again does nothing.
   */
  reserve(clientKey: string): () => void {
    this.#reserved++;
    this.#perClient.set(clientKey, (this.#perClient.get(clientKey) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#reserved--;
      this.#uncount(clientKey);
    };
  }

  remove(sub: Subscriber): boolean {
    if (!this.#subscribers.delete(sub)) return false;
    this.#uncount(sub.clientKey);
    const shared = sub.shared;
    if (shared === undefined) this.#index.remove(sub);
    else if (shared.leave(sub)) this.#index.remove(shared);
    for (const o of this.#observers) o(sub, false);
    return true;
  }

  #uncount(clientKey: string): void {
    const n = (this.#perClient.get(clientKey) ?? 1) - 1;
    if (n <= 0) this.#perClient.delete(clientKey);
    else this.#perClient.set(clientKey, n);
  }

  /** Delivers the update's shared frame to every matching subscriber; returns how many got it. */
  dispatch(update: Update): number {
    const epoch = ++this.#epoch;
    const coalescer = this.#coalescer;
    coalescer.begin(update);
    let delivered = 0;
    this.#index.forEachMatch(update.topics, (sub) => {
      if (sub.mark === epoch) return;
      sub.mark = epoch;
      if (sub.canRead(update)) delivered += sub.deliver(update, coalescer);
    });
    return delivered;
  }

  /** Registered and reserved streams of this client (the per-client cap counts both). */
  countForClient(clientKey: string): number {
    return this.#perClient.get(clientKey) ?? 0;
  }

  /** Registered subscribers (`tidings_subscribers`). */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Registered subscribers and admitted ones still waiting (the total cap counts both). */
  get admitted(): number {
    return this.#subscribers.size + this.#reserved;
  }

  /** Distinct URL patterns and URI templates subscribed to now (limits.maxPatterns). */
  get patternCount(): number {
    return this.#index.patternCount;
  }

  /** Whether the index already matches this pattern (a new subscriber to it adds no matching work). */
  hasPattern(type: string, raw: string): boolean {
    return this.#index.hasPattern(type, raw);
  }

  get topicCount(): number {
    return this.#index.size;
  }

  subscribers(): IterableIterator<Subscriber> {
    return this.#subscribers.values();
  }
}
