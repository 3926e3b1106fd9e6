import type { Update } from '../model/update.js';
import type { Selector } from '../selector/selector.js';
import type { WriteCoalescer } from './write-coalescer.js';

/** What the index routes to: a subscriber, or a conflation shared by several (broker/conflation.ts). */
export interface Recipient {
  readonly selectors: readonly Selector[];
  /** The broker's de-duplication mark (broker/broker.ts). */
  mark: number;
  canRead(update: Update): boolean;
  /** Returns how many subscribers took the update. */
  deliver(update: Update, coalescer: WriteCoalescer): number;
}

interface PatternEntry {
  readonly selector: Selector;
  readonly subscribers: Set<Recipient>;
  /** topic -> matches: a pattern is evaluated once per distinct topic, not once per update. */
  readonly cache: Map<string, boolean>;
}

const PATTERN_CACHE_SIZE = 1024;

/**
 * Which subscribers a topic reaches. Exact selectors are a map lookup; `*` subscribers are a
 * set; patterns are grouped by their text, so a thousand subscribers on one URL pattern cost
 * one evaluation per topic, and results are cached (bounded).
 */
export class TopicIndex {
  readonly #exact = new Map<string, Set<Recipient>>();
  readonly #wildcard = new Set<Recipient>();
  readonly #patterns = new Map<string, PatternEntry>();

  add(sub: Recipient): void {
    for (const s of sub.selectors) {
      if (s.wildcard) this.#wildcard.add(sub);
      else if (s.exact) getOrCreate(this.#exact, s.raw, () => new Set()).add(sub);
      else
        getOrCreate(this.#patterns, `${s.type}:${s.raw}`, () => ({
          selector: s,
          subscribers: new Set(),
          cache: new Map(),
        })).subscribers.add(sub);
    }
  }

  remove(sub: Recipient): void {
    for (const s of sub.selectors) {
      if (s.wildcard) {
        this.#wildcard.delete(sub);
      } else if (s.exact) {
        const set = this.#exact.get(s.raw);
        if (set?.delete(sub) && set.size === 0) this.#exact.delete(s.raw);
      } else {
        const key = `${s.type}:${s.raw}`;
        const entry = this.#patterns.get(key);
        if (entry?.subscribers.delete(sub) && entry.subscribers.size === 0) this.#patterns.delete(key);
      }
    }
  }

  /** Calls `visit` for every subscriber matching one of `topics`, possibly more than once per subscriber. */
  forEachMatch(topics: readonly string[], visit: (sub: Recipient) => void): void {
    for (const sub of this.#wildcard) visit(sub);
    for (const topic of topics) {
      const exact = this.#exact.get(topic);
      if (exact !== undefined) for (const sub of exact) visit(sub);
      for (const entry of this.#patterns.values()) {
        let hit = entry.cache.get(topic);
        if (hit === undefined) {
          hit = entry.selector.matches(topic);
          if (entry.cache.size >= PATTERN_CACHE_SIZE) entry.cache.clear();
          entry.cache.set(topic, hit);
        }
        if (hit) for (const sub of entry.subscribers) visit(sub);
      }
    }
  }

  /** Distinct patterns: each one is evaluated once per new topic, so they are what a publish costs. */
  get patternCount(): number {
    return this.#patterns.size;
  }

  hasPattern(type: string, raw: string): boolean {
    return this.#patterns.has(`${type}:${raw}`);
  }

  /** Distinct selectors subscribed to (exact topics, patterns, and `*` as one). */
  get size(): number {
    return this.#exact.size + this.#patterns.size + (this.#wildcard.size > 0 ? 1 : 0);
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}
