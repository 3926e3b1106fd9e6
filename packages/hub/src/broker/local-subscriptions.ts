import type { Logger } from 'pino';
import type { Update } from '../model/update.js';
import type { Selector } from '../selector/selector.js';
import type { HistoryStore } from '../store/store.js';

/** An in-process subscription (`hub.subscribe()`): ends with `close()`. */
export interface HubSubscription {
  /** The id of the last update delivered (resume from it with `lastEventId`). */
  readonly lastEventId: string | undefined;
  close(): void;
}

export interface LocalSubscribeOptions {
  /** Resume: replay history after this id first (`earliest`: all of it), as `Last-Event-ID` does. */
  readonly lastEventId?: string | undefined;
}

class LocalSubscription implements HubSubscription {
  lastEventId: string | undefined;
  /** Live updates held while history is replayed (then written after it, without duplicates). */
  held: Update[] | null = null;
  readonly #selectors: readonly Selector[];
  readonly #listener: (update: Update) => void;
  readonly #owner: LocalSubscriptions;

  constructor(selectors: readonly Selector[], listener: (update: Update) => void, owner: LocalSubscriptions) {
    this.#selectors = selectors;
    this.#listener = listener;
    this.#owner = owner;
  }

  wants(update: Update): boolean {
    for (const s of this.#selectors) for (const t of update.topics) if (s.matches(t)) return true;
    return false;
  }

  offer(update: Update): void {
    if (!this.wants(update)) return;
    if (this.held !== null) this.held.push(update);
    else this.deliver(update);
  }

  deliver(update: Update): void {
    this.lastEventId = update.id;
    try {
      this.#listener(update);
    } catch (err) {
      // A consumer's bug must not stop the fan-out to everyone else.
      this.#owner.logger.warn({ err }, 'in-process subscriber threw');
    }
  }

  close(): void {
    this.#owner.remove(this);
  }
}

/**
 * Server-side consumers of the hub's updates, in the process: the same routing as streams
 * (selectors compiled with the same rules and caps), and the same resume from history. They
 * are trusted code: private updates reach them too (a stream needs a grant for those).
 */
export class LocalSubscriptions {
  readonly logger: Logger;
  readonly #subs = new Set<LocalSubscription>();
  readonly #history: HistoryStore;
  readonly #pageSize: number;

  constructor(history: HistoryStore, pageSize: number, logger: Logger) {
    this.#history = history;
    this.#pageSize = pageSize;
    this.logger = logger;
  }

  get size(): number {
    return this.#subs.size;
  }

  dispatch(update: Update): void {
    for (const sub of this.#subs) sub.offer(update);
  }

  /** Registers first, then replays: nothing published meanwhile is missed or delivered twice. */
  async add(
    selectors: readonly Selector[],
    listener: (update: Update) => void,
    options: LocalSubscribeOptions = {},
  ): Promise<HubSubscription> {
    const sub = new LocalSubscription(selectors, listener, this);
    const from = options.lastEventId;
    if (from === undefined || from === '') {
      this.#subs.add(sub);
      return sub;
    }
    sub.held = [];
    this.#subs.add(sub);
    const sent = new Set<string>();
    try {
      let page = await this.#history.readAfter(from, this.#pageSize);
      if (!page.found && from !== 'earliest')
        page = await this.#history.readAfter('earliest', this.#pageSize);
      for (;;) {
        let last: string | undefined;
        for (const u of page.updates) {
          last = u.id;
          if (!this.#subs.has(sub)) return sub;
          if (!sub.wants(u)) continue;
          sent.add(u.id);
          sub.deliver(u);
        }
        if (!page.more || last === undefined) break;
        page = await this.#history.readAfter(last, this.#pageSize);
      }
    } catch (err) {
      this.#subs.delete(sub);
      throw err;
    }
    const held = sub.held;
    sub.held = null;
    for (const u of held) if (!sent.has(u.id)) sub.deliver(u);
    return sub;
  }

  remove(sub: LocalSubscription): void {
    this.#subs.delete(sub);
    sub.held = null;
  }

  clear(): void {
    this.#subs.clear();
  }
}
