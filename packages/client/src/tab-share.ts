import type { Connection, ConnectionSink } from './connection.js';
import type { ParsedEvent } from './event-stream-parser.js';

/** An event as it travels between tabs: type, data (absent: an id-only block), id, id set, origin. */
interface Shared {
  readonly t: string;
  readonly d: string | undefined;
  readonly i: string;
  readonly s: boolean;
  readonly o: string;
}

type Message =
  | { k: 'hello'; from: string; cursor: string; all: boolean }
  | { k: 'welcome'; to: string; open: string | undefined; evs: Shared[]; miss: boolean }
  | { k: 'ev'; e: Shared }
  | { k: 'open'; o: string }
  | { k: 'err'; c: boolean }
  | { k: 'gap' }
  | { k: 'lead' };

/** How long a joining tab waits for the leader's welcome before it goes on without one. */
const WELCOME_WAIT_MS = 1000;

/**
 * What this tab kept per stream, for tabs that join: module-wide, so a source created again in
 * the same tab (after a failure) still has the history its predecessor received.
 */
const kept = new Map<string, Shared[]>();

/** True where tabs can share a stream: Web Locks and BroadcastChannel. */
export function canShare(): boolean {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

/**
 * One stream for all of an origin's tabs that open the same URL. The tab holding the Web Lock
 * named after the URL (Web Locks API) is the leader: it runs the connection and posts every
 * event on a BroadcastChannel of the same name. A lock is given back when its tab closes or
 * crashes, and the next tab in the lock's queue takes over at once, resuming from the last id it
 * delivered. Every tab keeps the last events it delivered: the leader hands them to a tab that
 * joins (a reload resumes from its cursor), and any tab drops an event whose id it has already
 * delivered (what the old and the new leader may both have sent around a takeover).
 */
export class TabShare {
  readonly #id = Math.random().toString(36).slice(2);
  readonly #channel: BroadcastChannel;
  readonly #lock = new AbortController();
  readonly #sink: ConnectionSink;
  readonly #connect: (lastEventId: string, sink: ConnectionSink) => Connection;
  readonly #keep: number;
  readonly #key: string;
  /** The events this source delivered, to drop repeats. */
  #ring: Shared[] = [];
  #lastEventId: string;
  #origin: string | undefined;
  #conn: Connection | undefined;
  #release: (() => void) | undefined;
  #welcomed = false;
  #queue: Message[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    key: string,
    lastEventId: string,
    wantsHistory: boolean,
    keep: number,
    connect: (lastEventId: string, sink: ConnectionSink) => Connection,
    sink: ConnectionSink,
  ) {
    this.#lastEventId = lastEventId;
    this.#keep = keep;
    this.#key = key;
    this.#connect = connect;
    this.#sink = sink;
    const name = `tidings:${key}`;
    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (m: MessageEvent<Message>) => this.#receive(m.data);
    this.#post({ k: 'hello', from: this.#id, cursor: lastEventId, all: wantsHistory && lastEventId === '' });
    this.#timer = setTimeout(() => this.#welcome(), WELCOME_WAIT_MS);
    navigator.locks
      .request(name, { signal: this.#lock.signal }, () => {
        this.#lead();
        return new Promise<void>((resolve) => {
          this.#release = resolve;
        });
      })
      .catch(() => {});
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#conn?.close();
    this.#release?.();
    this.#lock.abort();
    this.#channel.close();
  }

  #post(m: Message): void {
    this.#channel.postMessage(m);
  }

  /** This tab holds the lock: what the old leader sent is applied, then this tab connects. */
  #lead(): void {
    this.#welcome();
    this.#post({ k: 'lead' });
    this.#conn = this.#connect(this.#lastEventId, {
      open: (o) => {
        this.#origin = o;
        this.#post({ k: 'open', o });
        this.#sink.open(o);
      },
      event: (e: ParsedEvent, o) => {
        const s: Shared = { t: e.type, d: e.data, i: e.lastEventId, s: e.idSet, o };
        if (this.#deliver(s)) this.#post({ k: 'ev', e: s });
      },
      error: (c) => {
        if (!c) this.#origin = undefined;
        this.#post({ k: 'err', c });
        this.#sink.error(c);
      },
      gap: () => {
        this.#post({ k: 'gap' });
        this.#sink.gap();
      },
    });
  }

  #receive(m: Message): void {
    if (this.#conn !== undefined) {
      if (m.k === 'hello') this.#answer(m);
      return;
    }
    if (m.k === 'welcome') {
      if (m.to !== this.#id || this.#welcomed) return;
      if (m.miss) this.#sink.gap();
      if (m.open !== undefined) this.#sink.open(m.open);
      for (const e of m.evs) this.#deliver(e);
      this.#welcome();
    } else if (m.k === 'lead') {
      if (!this.#welcomed) this.#post({ k: 'hello', from: this.#id, cursor: this.#lastEventId, all: false });
    } else if (m.k !== 'hello') {
      if (this.#welcomed) this.#apply(m);
      else this.#queue.push(m);
    }
  }

  /** Starts applying the leader's messages (with or without a welcome). */
  #welcome(): void {
    clearTimeout(this.#timer);
    this.#welcomed = true;
    const queued = this.#queue;
    this.#queue = [];
    for (const m of queued) this.#apply(m);
  }

  #apply(m: Message): void {
    if (m.k === 'ev') this.#deliver(m.e);
    else if (m.k === 'open') this.#sink.open(m.o);
    else if (m.k === 'err') this.#sink.error(m.c);
    else if (m.k === 'gap') this.#sink.gap();
  }

  /** The leader's answer to a joining tab: the events it kept after the tab's cursor. */
  #answer(m: Extract<Message, { k: 'hello' }>): void {
    const ring = kept.get(this.#key) ?? [];
    let evs: Shared[] = [];
    let miss = false;
    if (m.cursor !== '') {
      const at = ring.findLastIndex((e) => e.i === m.cursor);
      // An unknown cursor: what is kept may not reach back to it, as a hub answering `earliest`.
      miss = at < 0 && ring.length > 0;
      evs = at < 0 ? (miss ? ring : []) : ring.slice(at + 1);
    } else if (m.all) {
      evs = ring;
    }
    this.#post({ k: 'welcome', to: m.from, open: this.#origin, evs, miss });
  }

  #push(ring: Shared[], e: Shared): void {
    ring.push(e);
    if (ring.length > this.#keep) ring.shift();
  }

  /** Delivers an event once: false for a repeat of one already delivered (same id, set by the block). */
  #deliver(e: Shared): boolean {
    if (e.s && this.#ring.some((r) => r.s && r.i === e.i)) return false;
    this.#push(this.#ring, e);
    const ring = kept.get(this.#key) ?? [];
    kept.set(this.#key, ring);
    if (!e.s || !ring.some((r) => r.s && r.i === e.i)) this.#push(ring, e);
    this.#lastEventId = e.i;
    this.#sink.event({ type: e.t, data: e.d, lastEventId: e.i, idSet: e.s }, e.o);
    return true;
  }
}
