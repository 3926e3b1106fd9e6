import type { Principal } from '../auth/principal.js';
import type { Selector } from '../selector/selector.js';
import { Conflation } from './conflation.js';

/** Milliseconds between two deliveries to a subscriber limited to `rate` events per second. */
export function rateInterval(rate: number): number {
  return Math.max(1, Math.round(1000 / rate));
}

/** A repeating timer: started with a callback and a period, stopped with its handle. */
export interface IntervalTimers {
  start(tick: () => void, ms: number): IntervalHandle;
  stop(handle: IntervalHandle): void;
}
export type IntervalHandle = unknown;

/** Node's timers, unref'd: a rate group's timer alone does not keep the process alive. */
const NODE_TIMERS: IntervalTimers = {
  start: (tick, ms) => setInterval(tick, ms).unref(),
  stop: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/**
 * The conflations limited to one rate share one timer, so their members are written on the same
 * ticks (and the same bytes: one update's chunk). The timer runs only while some conflation has
 * something waiting, and a conflation writes each member at most once per tick, so two writes to
 * one subscriber are always at least one interval apart.
 */
export class RateGroup {
  readonly intervalMs: number;
  #due: Conflation[] = [];
  #timer: IntervalHandle | undefined;
  readonly #timers: IntervalTimers;

  /** `timers`: setInterval and clearInterval, injectable for tests. */
  constructor(intervalMs: number, timers: IntervalTimers = NODE_TIMERS) {
    this.intervalMs = intervalMs;
    this.#timers = timers;
  }

  schedule(c: Conflation): void {
    c.scheduled = true;
    this.#due.push(c);
    if (this.#timer === undefined) this.#timer = this.#timers.start(() => this.#tick(), this.intervalMs);
  }

  #tick(): void {
    const due = this.#due;
    this.#due = [];
    for (const c of due) {
      if (c.tick()) this.#due.push(c);
      else c.scheduled = false;
    }
    // Stopped only after a tick with nothing due. Stopping as soon as everything was written
    // restarted the interval at the next publish, so a ticker published to without pause was
    // written every interval plus the time a tick takes (8.3 times a second at maxRate=10 with
    // 1,000 subscribers, docs/benchmark.md); kept, the ticks keep their phase.
    if (due.length === 0 && this.#timer !== undefined) {
      this.#timers.stop(this.#timer);
      this.#timer = undefined;
    }
  }

  get idle(): boolean {
    return this.#timer === undefined;
  }
}

/**
 * Every rate group of a hub, by interval, and the shared conflations (broker/conflation.ts).
 * Groups are kept (an idle one is a map entry, its timer stopped): at most one per whole
 * millisecond of interval between MIN_RATE and MAX_RATE. A shared conflation lives while it has
 * members: at most one per live subscriber.
 */
export class RateGroups {
  readonly #groups = new Map<number, RateGroup>();
  readonly #shared = new Map<string, Conflation>();
  readonly #maxEvents: number;

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents;
  }

  /** A conflation of its own at `rate` events per second (a resume, or the hub's conflate policy). */
  conflation(rate: number): Conflation {
    return new Conflation(this.#group(rate), this.#maxEvents);
  }

  /**
   * The conflation shared by subscribers at `rate` with these selectors and read rights (they
   * get the same updates): made on first use, forgotten when its last member leaves.
   */
  shared(rate: number, selectors: readonly Selector[], principal: Principal | undefined): Conflation {
    const readable = principal?.subscribe ?? [];
    let key = `${rateInterval(rate)}`;
    for (const s of selectors) key += `\0${s.type}\n${s.raw}`;
    key += '\0\0';
    for (const s of readable) key += `\0${s.type}\n${s.raw}`;
    const known = this.#shared.get(key);
    if (known !== undefined) return known;
    const c: Conflation = new Conflation(this.#group(rate), this.#maxEvents, { selectors, readable }, () => {
      if (this.#shared.get(key) === c) this.#shared.delete(key);
    });
    this.#shared.set(key, c);
    return c;
  }

  #group(rate: number): RateGroup {
    const interval = rateInterval(rate);
    let group = this.#groups.get(interval);
    if (group === undefined) {
      group = new RateGroup(interval);
      this.#groups.set(interval, group);
    }
    return group;
  }

  get size(): number {
    return this.#groups.size;
  }

  /** Shared conflations with members now. */
  get sharedCount(): number {
    return this.#shared.size;
  }
}
