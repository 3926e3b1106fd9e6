import { grants } from '../auth/principal.js';
import type { Update } from '../model/update.js';
import type { Selector } from '../selector/selector.js';
import type { Sink } from '../stream/sink.js';
import type { RateGroup } from './rate-groups.js';

/** What a conflation writes to (a Subscriber), and how far it has been written. */
export interface ConflationMember {
  readonly sink: Sink;
  /** The conflation's sequence number of the last update written to this member. */
  conflationCursor: number;
}

/** Who a shared conflation stands for in the topic index (its members' selectors and read rights). */
export interface ConflationRouting {
  readonly selectors: readonly Selector[];
  /** The members' `subscribe` grants: which private updates they may read. */
  readonly readable: readonly Selector[];
}

/**
 * Conflation at a maximum rate (docs/mercure.md, "Maximum rate"): updates wait here, at most one
 * per topic (the latest: a newer update on a topic replaces the waiting one), and each member is
 * written one per tick of the rate group, so it gets at most one event per interval and the
 * current value of each topic, never a backlog.
 *
 * Order, for one member: its waiting updates are kept in the order their latest update arrived
 * (a replaced entry moves to the end), and the oldest is written first. Every update written is
 * therefore newer than every one written before it: the stream is a subsequence of history, in
 * history order, and each update left out was superseded by a later one on its topic. A client
 * resuming with the last id it received thus gets, from history, only updates newer than
 * everything it has, and the latest value of every topic it missed: never an older value after
 * a newer one.
 *
 * Shared: members that asked for the same rate with the same selectors and read rights get the
 * same updates, so they share one conflation (RateGroups.shared), which stands in the topic
 * index for all of them: a publish costs one entry update, not one per member (at 10,000
 * publishes/s to 1,000 subscribers a conflation per subscriber cost more than the publish). The
 * entries are numbered as they arrive and kept in that order; each member keeps the number of the
 * last one written to it (its cursor). A member's waiting set is then exactly the entries numbered
 * above its cursor, the same set, in the same order, as a conflation of its own would hold: an
 * entry is renumbered and moved to the end when replaced, and one write takes the first entry
 * above the cursor. Members written on the same tick from the same cursor get the same entry (the
 * same bytes). Entries every member is past are dropped. A resuming subscriber, or one
 * conflated by the hub's policy, has a conflation of its own (one member, not in the index).
 *
 * Conflation key: the canonical topic (the first one of an update). Bounded: a new topic past
 * `maxEvents` waiting first drops what every member has had, then closes the members furthest
 * behind as slow consumers (those with `maxEvents` topics waiting), like a full queue.
 */
export class Conflation {
  readonly group: RateGroup;
  /** Routing in the topic index (a shared conflation); empty for a member's own. */
  readonly selectors: readonly Selector[];
  /** The broker's de-duplication mark, as on a Subscriber (broker/broker.ts). */
  mark = 0;
  /** In the group's list of conflations with something waiting. */
  scheduled = false;
  readonly #readable: readonly Selector[];
  readonly #maxEvents: number;
  readonly #onEmpty: (() => void) | undefined;
  readonly #members = new Set<ConflationMember>();
  #seq = 0;
  /**
   * The waiting updates by topic, and in arrival order as a list threaded through the entries.
   * Not a Map kept in order by delete-then-set: that churn made V8 rehash each small map every
   * few offers (about 250 µs per publish at N = 1,000, docs/benchmark.md). A replaced update on
   * the topic already last, the ticker case, is one Map lookup and two stores.
   */
  readonly #byTopic = new Map<string, Waiting>();
  #head: Waiting | null = null;
  #tail: Waiting | null = null;

  constructor(group: RateGroup, maxEvents: number, routing?: ConflationRouting, onEmpty?: () => void) {
    this.group = group;
    this.#maxEvents = maxEvents;
    this.selectors = routing?.selectors ?? [];
    this.#readable = routing?.readable ?? [];
    this.#onEmpty = onEmpty;
  }

  /** Adds a member with nothing waiting; true when it is the first. */
  join(member: ConflationMember): boolean {
    member.conflationCursor = this.#seq;
    this.#members.add(member);
    return this.#members.size === 1;
  }

  /** Removes a member; true when it was the last one (the conflation is done with). */
  leave(member: ConflationMember): boolean {
    if (!this.#members.delete(member) || this.#members.size > 0) return false;
    this.#byTopic.clear();
    this.#head = this.#tail = null;
    this.#onEmpty?.();
    return true;
  }

  get members(): number {
    return this.#members.size;
  }

  /** Private updates only reach members whose tokens grant `subscribe` on one of their topics. */
  canRead(update: Pick<Update, 'private' | 'topics'>): boolean {
    return !update.private || grants(this.#readable, update.topics);
  }

  /** Keeps `update` as its topic's latest for every member; returns how many members that is. */
  deliver(update: Update): number {
    if (this.#members.size === 0) return 0;
    const seq = ++this.#seq;
    const topic = update.topics[0]!;
    let entry = this.#byTopic.get(topic);
    if (entry !== undefined) {
      entry.update = update;
      entry.seq = seq;
      if (entry !== this.#tail) {
        this.#unlink(entry);
        this.#append(entry);
      }
    } else {
      if (this.#byTopic.size >= this.#maxEvents && !this.#makeRoom()) return 0;
      entry = { topic, update, seq, prev: null, next: null };
      this.#byTopic.set(topic, entry);
      this.#append(entry);
    }
    if (!this.scheduled) this.group.schedule(this);
    return this.#members.size;
  }

  /** Updates waiting for the member furthest behind. */
  get waiting(): number {
    return this.#byTopic.size;
  }

  /**
   * Called by the group on a tick: writes each member the oldest update waiting for it (in its
   * sink's framing: the bytes every other subscriber of that update is written too). A sink
   * that is not draining is skipped: its entries keep being replaced meanwhile. True while
   * something is still waiting for someone.
   */
  tick(): boolean {
    let min = this.#seq;
    let memo: Map<number, Waiting | null> | undefined;
    let lastCursor = -1;
    let lastEntry: Waiting | null = null;
    for (const m of this.#members) {
      const sink = m.sink;
      if (sink.closed) continue;
      const cursor = m.conflationCursor;
      if (!sink.blocked) {
        let entry: Waiting | null;
        if (cursor === lastCursor) entry = lastEntry;
        else {
          memo ??= new Map();
          const known = memo.get(cursor);
          if (known !== undefined) entry = known;
          else {
            entry = this.#head;
            while (entry !== null && entry.seq <= cursor) entry = entry.next;
            memo.set(cursor, entry);
          }
          lastCursor = cursor;
          lastEntry = entry;
        }
        if (entry !== null) {
          m.conflationCursor = entry.seq;
          sink.write(sink.framing.event(entry.update));
        }
      }
      if (m.conflationCursor < min) min = m.conflationCursor;
    }
    this.#dropThrough(min);
    return this.#head !== null;
  }

  /** At the bound: drops what every open member has had, then closes those furthest behind until a topic fits. */
  #makeRoom(): boolean {
    for (;;) {
      let min = this.#seq;
      let open = 0;
      for (const m of this.#members) {
        if (m.sink.closed) continue;
        open++;
        if (m.conflationCursor < min) min = m.conflationCursor;
      }
      if (open === 0) return false;
      this.#dropThrough(min);
      if (this.#byTopic.size < this.#maxEvents) return true;
      for (const m of this.#members)
        if (!m.sink.closed && m.conflationCursor === min) m.sink.close('slow_consumer');
    }
  }

  /** Drops the entries numbered `seq` or below: every member has been written them or newer. */
  #dropThrough(seq: number): void {
    let entry = this.#head;
    while (entry !== null && entry.seq <= seq) {
      const next = entry.next;
      this.#byTopic.delete(entry.topic);
      entry.prev = entry.next = null;
      entry = next;
    }
    this.#head = entry;
    if (entry === null) this.#tail = null;
    else entry.prev = null;
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

/** A topic's latest update in a Conflation, numbered and linked in the order of arrival. */
interface Waiting {
  readonly topic: string;
  update: Update;
  seq: number;
  prev: Waiting | null;
  next: Waiting | null;
}
