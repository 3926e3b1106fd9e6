import type { Update } from '../model/update.js';
import { MemoryPushStore, type PushStore } from '../store/push-store.js';
import type { HistoryStore } from '../store/store.js';
import type { Engine } from './engine.js';

/**
 * One process, one history. Updates are broadcast in the order their appends were issued,
 * once each is acknowledged by the store: a store with group commit may acknowledge a batch at
 * once, and the head-of-line queue below keeps delivery order equal to history order.
 */
export class LocalEngine implements Engine {
  readonly history: HistoryStore;
  readonly #listeners: ((u: Update) => void)[] = [];
  readonly #pending: { update: Update; state: 'pending' | 'stored' | 'failed' }[] = [];
  #ready = true;

  constructor(history: HistoryStore) {
    this.history = history;
  }

  publish(update: Update): Promise<void> {
    const entry = { update, state: 'pending' as 'pending' | 'stored' | 'failed' };
    this.#pending.push(entry);
    return this.history.append(update).then(
      () => {
        entry.state = 'stored';
        this.#flush();
      },
      (err: unknown) => {
        entry.state = 'failed';
        this.#flush();
        throw err;
      },
    );
  }

  async broadcast(update: Update): Promise<void> {
    // Ordered behind pending publishes, like any other update.
    this.#pending.push({ update, state: 'stored' });
    this.#flush();
  }

  #flush(): void {
    while (this.#pending.length > 0 && this.#pending[0]!.state !== 'pending') {
      const head = this.#pending.shift()!;
      if (head.state === 'stored') for (const l of this.#listeners) l(head.update);
    }
  }

  /** Beside history when its store keeps them (LMDB), else in memory. */
  openPushStore(): PushStore {
    return this.history.openPushStore?.() ?? new MemoryPushStore();
  }

  onUpdate(listener: (update: Update) => void): void {
    this.#listeners.push(listener);
  }

  isReady(): boolean {
    return this.#ready;
  }

  async close(): Promise<void> {
    this.#ready = false;
    await this.history.close();
  }
}
