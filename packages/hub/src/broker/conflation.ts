import type { Update } from '../model/update.js';
import type { Sink } from '../stream/sink.js';

/** Milliseconds between two deliveries to a subscriber limited to `rate` events per second. */
export function rateInterval(rate: number): number {
  return Math.max(1, Math.round(1000 / rate));
}

/**
 * One subscriber's conflation (docs/mercure.md, "Maximum rate"): updates wait here, at most one
 * per topic (the latest: a newer update on a topic replaces the waiting one), and one is written
 * per tick of the subscriber's rate group, so the subscriber gets at most one event per interval
 * and the current value of each topic, never a backlog.
 *
 * Order: waiting updates are kept in the order their latest update arrived (a replaced entry
 * moves to the end), and the oldest is written first. Every update written is therefore newer
 * than every one written before it: the stream is a subsequence of history, in history order,
 * and each update left out was superseded by a later one on its topic. A client resuming with the
 * last id it received thus gets, from history, only updates newer than everything it has, and
 * the latest value of every topic it missed: never an older value after a newer one.
 *
 * Conflation key: the canonical topic (the first one of an update). Bounded: more waiting topics
 * than `maxEvents` ends the stream as a slow consumer, like a full queue.
 */
export class Conflation {
  readonly group: RateGroup;
  readonly #sink: Sink;
  readonly #maxEvents: number;
  /**
   * The waiting updates by topic, and in arrival order as a list threaded through the entries.
   * Not a Map kept in order by delete-then-set: at thousands of publishes per second to a
   * thousand conflated subscribers, that churn made V8 rehash each small map every few offers
   * (an allocation per offer, about 250 µs per publish at N = 1,000, docs/benchmark.md). A
   * replaced update on the topic already last, the ticker case, is one Map lookup and a store.
   */
  readonly #byTopic = new Map<string, Waiting>();
  #head: Waiting | null = null;
  #tail: Waiting | null = null;
  /** In the group's list of conflations with something waiting. */
  scheduled = false;

  constructor(group: RateGroup, sink: Sink, maxEvents: number) {
    this.group = group;
    this.#sink = sink;
    this.#maxEvents = maxEvents;
  }

  /** Keeps `update` as its topic's latest; false once the sink is gone. */
  offer(update: Update): boolean {
    if (this.#sink.closed) return false;
    const topic = update.topics[0]!;
    let entry = this.#byTopic.get(topic);
    if (entry !== undefined) {
      entry.update = update;
      if (entry !== this.#tail) {
        this.#unlink(entry);
        this.#append(entry);
      }
    } else {
      if (this.#byTopic.size >= this.#maxEvents) {
        this.#sink.close('slow_consumer');
        return false;
      }
      entry = { topic, update, prev: null, next: null };
      this.#byTopic.set(topic, entry);
      this.#append(entry);
    }
    if (!this.scheduled) this.group.schedule(this);
    return true;
  }

  get waiting(): number {
    return this.#byTopic.size;
  }

  /**
   * Called by the group on a tick: writes the oldest waiting update (in the sink's framing: the
   * bytes every other subscriber of that update is written too). A sink that is not draining is
   * skipped: its entries keep being replaced meanwhile. True while something is still waiting.
   */
  tick(): boolean {
    const sink = this.#sink;
    if (sink.closed) {
      this.#byTopic.clear();
      this.#head = this.#tail = null;
      return false;
    }
    if (sink.blocked) return this.#head !== null;
    const oldest = this.#head;
    if (oldest !== null) {
      this.#unlink(oldest);
      this.#byTopic.delete(oldest.topic);
      sink.write(sink.framing.event(oldest.update));
    }
    return this.#head !== null;
  }

  #append(entry: Waiting): void {
    entry.prev = this.#tail;
    entry.next = null;
    if (this.#tail === null) this.#head = entry;
    else this.#tail.next = entry;
    this.#tail = entry;
  }

  #unlink(entry: Waiting): void {
    if (entry.prev === null) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = null;
  }
}

/** A topic's latest update waiting in a Conflation, linked in the order of arrival. */
interface Waiting {
  readonly topic: string;
  update: Update;
  prev: Waiting | null;
  next: Waiting | null;
}

/**
 * The subscribers limited to one rate share one timer, so they are written on the same ticks (and
 * the same bytes: one update's chunk). The timer runs only while some conflation has something
 * waiting, and a conflation is written at most once per tick, so two writes to one subscriber are
 * always at least one interval apart.
 */
export class RateGroup {
  readonly intervalMs: number;
  #due: Conflation[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  schedule(c: Conflation): void {
    c.scheduled = true;
    this.#due.push(c);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.intervalMs);
      this.#timer.unref();
    }
  }

  #tick(): void {
    const due = this.#due;
    this.#due = [];
    for (const c of due) {
      if (c.tick()) this.#due.push(c);
      else c.scheduled = false;
    }
    if (this.#due.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  get idle(): boolean {
    return this.#timer === undefined;
  }
}

/**
 * Every rate group of a hub, by interval. Groups are kept (an idle one is a map entry, its timer
 * stopped): at most one per whole millisecond of interval between MIN_RATE and MAX_RATE.
 */
export class RateGroups {
  readonly #groups = new Map<number, RateGroup>();
  readonly #maxEvents: number;

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents;
  }

  /** A conflation at `rate` events per second for `sink`. */
  conflation(rate: number, sink: Sink): Conflation {
    const interval = rateInterval(rate);
    let group = this.#groups.get(interval);
    if (group === undefined) {
      group = new RateGroup(interval);
      this.#groups.set(interval, group);
    }
    return new Conflation(group, sink, this.#maxEvents);
  }

  get size(): number {
    return this.#groups.size;
  }
}
