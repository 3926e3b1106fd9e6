import { grants, type Principal } from '../auth/principal.js';
import type { Update } from '../model/update.js';
import type { Selector } from '../selector/selector.js';
import type { CloseReason, Sink, SinkOwner } from '../stream/sink.js';
import type { Conflation, ConflationMember } from './conflation.js';
import type { WriteCoalescer } from './write-coalescer.js';

/** Ends a subscriber's replay grace period (set by the class: it reaches a private field). */
let forgetReplayed: (sub: Subscriber) => void;

/** What a subscriber reports its sink's end to: one per hub, shared by every subscriber. */
export interface SubscriberHost {
  closed(sub: Subscriber, reason: CloseReason): void;
}

/**
 * Topics conflated for everyone (HubOptions.conflate): a subscriber that is delivered one of them
 * is conflated as a whole from then on, at the policy's rate (one that asked for a rate keeps its own).
 */
export interface ConflatePolicy {
  /** True when the update's canonical topic is marked conflated. */
  covers(update: Update): boolean;
  /** A conflation of the subscriber's own at the policy's rate. */
  start(): Conflation;
}

/**
 * One connected subscriber: its selectors (routing), its token's grants (what private updates
 * it may read), and its sink (stream/sink.ts: whatever transport carries it). While it
 * replays history, live updates are held in a bounded buffer; after replay, the ones already
 * replayed are skipped by id, so the seam between replay and live has no gap and no duplicate.
 */
export class Subscriber implements SinkOwner, ConflationMember {
  readonly id: string;
  readonly clientKey: string;
  readonly selectors: readonly Selector[];
  readonly principal: Principal | undefined;
  readonly sink: Sink;
  /** Dispatch epoch of the last update delivered (the broker's de-duplication mark, no Set per event). */
  mark = 0;
  /** WriteCoalescer's bookkeeping for this event-loop turn (broker/write-coalescer.ts). */
  pendingCount = 0;
  pendingList: Buffer[] | null = null;
  held = false;
  /** Ends the sink at the token's `exp` or the maximum lifetime (subscribe/expiry.ts). */
  endTimer: NodeJS.Timeout | undefined = undefined;
  /** Its subscriptions were announced (Active Subscriptions): their end is announced too. */
  announced = false;
  /**
   * A conflation shared with the subscribers of the same rate, selectors and read rights
   * (broker/conflation.ts): set before the broker registers it, which then routes to that
   * conflation instead of to this subscriber.
   */
  shared: Conflation | undefined = undefined;
  /** Its place in its conflation (ConflationMember). */
  conflationCursor = 0;
  /** Only while resuming, and for a grace period after: most subscribers never need it. */
  #resume: Resume | null = null;
  readonly #host: SubscriberHost;
  /** A conflation of its own: a resume that asked for a maximum rate, or a topic conflated for everyone. */
  #conflation: Conflation | null;
  readonly #policy: ConflatePolicy | undefined;

  constructor(init: {
    id: string;
    clientKey: string;
    selectors: readonly Selector[];
    principal: Principal | undefined;
    sink: Sink;
    host: SubscriberHost;
    conflation?: Conflation | undefined;
    conflate?: ConflatePolicy | undefined;
  }) {
    this.id = init.id;
    this.clientKey = init.clientKey;
    this.selectors = init.selectors;
    this.principal = init.principal;
    this.sink = init.sink;
    this.#host = init.host;
    this.#conflation = init.conflation ?? null;
    this.#conflation?.join(this);
    this.#policy = init.conflate;
    init.sink.owner = this;
  }

  /** Called once by the sink when it ends, whatever the reason. */
  sinkClosed(reason: CloseReason): void {
    this.#host.closed(this, reason);
  }

  /** Private updates only reach tokens that grant `subscribe` on one of their topics (Mercure "Subscribers"). */
  canRead(update: Pick<Update, 'private' | 'topics'>): boolean {
    if (!update.private) return true;
    return this.principal !== undefined && grants(this.principal.subscribe, update.topics);
  }

  /** Routing: does one of this subscriber's selectors match one of the update's topics? */
  wants(update: Update): boolean {
    for (const s of this.selectors) for (const t of update.topics) if (s.matches(t)) return true;
    return false;
  }

  /** Called by the broker for matching updates it may read (canRead); 1 if taken, 0 once the sink is gone. */
  deliver(update: Update, coalescer: WriteCoalescer): number {
    const resume = this.#resume;
    if (resume !== null) {
      const held = resume.held;
      if (held !== null) {
        if (held.length - resume.heldAt >= resume.heldLimit) {
          this.sink.close('slow_consumer');
          return 0;
        }
        held.push(update);
        return 1;
      }
      if (resume.replayed?.has(update.id)) return 1;
    }
    if (this.sink.closed) return 0;
    const conflation = this.#conflation ?? this.#conflateFrom(update);
    if (conflation !== null) return conflation.deliver(update);
    coalescer.enqueue(this, update);
    return 1;
  }

  /** True when this subscriber's updates go through a conflation (maximum rate). */
  get conflated(): boolean {
    return this.#conflation !== null || this.shared !== undefined;
  }

  #conflateFrom(update: Update): Conflation | null {
    if (this.#policy === undefined || !this.#policy.covers(update)) return null;
    const conflation = this.#policy.start();
    conflation.join(this);
    this.#conflation = conflation;
    return conflation;
  }

  /** Starts holding live updates (before history is read). */
  hold(limit: number): void {
    this.#resume = { held: [], heldAt: 0, heldLimit: limit, replayed: null, timer: undefined };
  }

  /**
   * Ends replay: `replayed` are the ids written from history. Held updates not among them are
   * newer than all of history that was read (one total order), so they follow in order. The ids
   * stay known for `graceMs` in case a replayed update's live broadcast is still on its way
   * (stored, but not yet broadcast by this node). Held updates are written with flow control,
   * still holding what arrives meanwhile, so a backlog above the queue bound is no drop.
   */
  async release(replayed: Set<string>, graceMs: number): Promise<void> {
    const resume = this.#resume;
    if (resume === null) return;
    const held = resume.held ?? [];
    while (resume.heldAt < held.length) {
      const u = held[resume.heldAt++]!;
      if (replayed.has(u.id)) continue;
      const conflation = this.#conflation ?? this.#conflateFrom(u);
      if (conflation !== null) {
        if (conflation.deliver(u) === 0) return;
        continue;
      }
      if (!this.sink.write(this.sink.framing.event(u))) return;
      if (this.sink.blocked) await this.sink.whenWritable();
      if (this.sink.closed) return;
    }
    if (replayed.size === 0) {
      this.#resume = null;
      return;
    }
    resume.held = null;
    resume.replayed = replayed;
    resume.timer = setTimeout(forgetReplayed, graceMs, this);
    resume.timer.unref();
  }

  dispose(): void {
    clearTimeout(this.endTimer);
    this.#conflation?.leave(this);
    if (this.#resume !== null) clearTimeout(this.#resume.timer);
    this.#resume = null;
  }

  static {
    forgetReplayed = (sub) => {
      sub.#resume = null;
    };
  }
}

/** A resuming subscriber's state: live updates held during replay, then the replayed ids. */
interface Resume {
  held: Update[] | null;
  /** Held updates before this index are already written (release drains with flow control). */
  heldAt: number;
  heldLimit: number;
  replayed: Set<string> | null;
  timer: NodeJS.Timeout | undefined;
}
