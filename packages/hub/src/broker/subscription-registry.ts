import type { SubscriptionInfo } from './subscription-info.js';

/** Active subscriptions of this hub process, by subscription id (the subscription event topic). */
export class SubscriptionRegistry {
  readonly #byId = new Map<string, SubscriptionInfo>();
  readonly #listeners = new Set<(s: SubscriptionInfo) => void>();

  set(info: SubscriptionInfo): void {
    if (info.active) this.#byId.set(info.id, info);
    else this.#byId.delete(info.id);
    for (const l of this.#listeners) l(info);
  }

  /** Subscriptions whose id equals `prefix` or continues it with `/`. */
  list(prefix?: string): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = [];
    for (const info of this.#byId.values()) {
      if (prefix === undefined || info.id === prefix || info.id.startsWith(`${prefix}/`)) out.push(info);
    }
    return out;
  }

  get(id: string): SubscriptionInfo | undefined {
    return this.#byId.get(id);
  }

  listen(listener: (s: SubscriptionInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
