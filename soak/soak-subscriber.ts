import { connect, type Socket } from 'node:net';
import type { PublishLedger } from './publish-ledger.js';
import { SequenceCheck } from './sequence-check.js';
import { SseResponseParser } from './sse-response-parser.js';

/**
 * honest: reads everything at once. slow: reads in bursts with pauses of seconds (dropped now and
 * then, resumes). silent: reads the response head, then never again; replaced every few seconds.
 * churn: reads honestly but drops its connection every few seconds and resumes with Last-Event-ID.
 */
export type SubscriberKind = 'honest' | 'slow' | 'silent' | 'churn';

/** Counters shared by every subscriber of the run (the sampler reads and resets the interval ones). */
export class ClientStats {
  connects = 0;
  /** Streams the hub ended with the terminating chunk (chunked bodies only): maximum lifetime. */
  gracefulEnds = 0;
  /** Streams the hub closed otherwise: dropped, or ended by closing a close-delimited body. */
  resets = 0;
  /** Connections closed by the client on purpose (churn, silent replaced). */
  clientCloses = 0;
  /** Answers other than 200, by status. */
  readonly refused = new Map<number, number>();
  events = 0;
  openSockets = 0;
  headTimeouts = 0;
  /**
   * Resumes of honest and churn subscribers answered `earliest`: they were away longer than
   * history reaches back, so the run's `--history` is too short for its reconnects.
   */
  expired = 0;
  /**
   * The same for slow subscribers, counted apart: a slow reader lags by as much as the socket
   * buffers and the hub's queue hold before it is dropped (seconds of a 4 KB stream), so on a busy
   * machine its resume can fall behind history by design. Its gap is still checked: the hub must
   * answer `earliest` (the sequence checker counts what was missed that way, never as a loss).
   */
  expiredSlow = 0;
  /**
   * Connections of honest and churn subscribers (one topic, reading everything) whose request is
   * out and that are not served yet: waiting for the response head, or for the replay that
   * brings them up to date. Served: an update published after the request arrived, or the
   * subscriber has every acknowledged update (when nothing is published, nothing else tells).
   * Connection -> when its request went out.
   */
  readonly #waiting = new Map<object, number>();
  /** Most resumes waiting at once since the sampler and the pause observer last reset them. */
  waitingPeakSample = 0;
  waitingPeakStorm = 0;

  get resumesWaiting(): number {
    return this.#waiting.size;
  }

  beginWaiting(connection: object, since: number): void {
    this.#waiting.set(connection, since);
    const n = this.#waiting.size;
    if (n > this.waitingPeakSample) this.waitingPeakSample = n;
    if (n > this.waitingPeakStorm) this.waitingPeakStorm = n;
  }

  endWaiting(connection: object): void {
    this.#waiting.delete(connection);
  }

  /** How long the oldest resume still waiting has waited (0 when none). */
  oldestWaitingMs(now: number): number {
    let oldest = now;
    for (const since of this.#waiting.values()) if (since < oldest) oldest = since;
    return now - oldest;
  }
}

export interface SubscriberEnv {
  readonly port: number;
  readonly ledger: PublishLedger;
  /** Where every stream starts: the id of an update published before anyone subscribed. */
  readonly origin: string;
  readonly topicUrl: (topic: number) => string;
  readonly template: string;
  /** Live delivery latency of honest subscribers (events published after the stream was requested). */
  readonly latency: { record(ms: number): void };
  readonly stats: ClientStats;
  readonly now: () => number;
}

/** Browsers wait long for response headers; a short timeout here would only add retries to a storm. */
const HEAD_TIMEOUT_MS = 30_000;

function between(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** One soak subscriber on a raw socket; it reconnects by itself until `stop()`. */
export class SoakSubscriber {
  readonly kind: SubscriberKind;
  /** Null for silent subscribers: what they receive is not checked (they never read it). */
  readonly check: SequenceCheck | null;
  readonly #env: SubscriberEnv;
  readonly #topics: readonly number[];
  readonly #path: string;
  #socket: Socket | undefined;
  #lastId: string;
  #retryMs = 1000;
  #stopped = false;
  #timers = new Set<NodeJS.Timeout>();
  #onHead: ((status: number) => void) | undefined;
  /** Self-test only: this update of the first topic is ignored as if it never arrived. */
  ignoreSeq = -1;

  constructor(kind: SubscriberKind, topics: readonly number[] | 'all', env: SubscriberEnv) {
    this.kind = kind;
    this.#env = env;
    const all = Array.from({ length: env.ledger.topics }, (_, i) => i);
    this.#topics = topics === 'all' ? all : topics;
    this.#lastId = env.origin;
    this.check = kind === 'silent' ? null : new SequenceCheck(env.ledger, this.#topics);
    const query =
      topics === 'all'
        ? `topic=${encodeURIComponent(env.template)}`
        : topics.map((t) => `topic=${encodeURIComponent(env.topicUrl(t))}`).join('&');
    this.#path = `/.well-known/mercure?${query}`;
  }

  /** Connects; resolves with the status of the first answer (200 expected). */
  start(): Promise<number> {
    return new Promise((resolve) => {
      this.#onHead = resolve;
      this.#connect();
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#socket?.destroy();
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(t);
  }

  #connect(): void {
    const env = this.#env;
    const stats = env.stats;
    const socket = connect({ port: env.port, host: '127.0.0.1' });
    this.#socket = socket;
    stats.connects++;
    stats.openSockets++;
    socket.setNoDelay(true);
    // Silent subscribers resume from nowhere in particular: they are not checked.
    const resume = this.kind === 'silent' ? '' : `Last-Event-ID: ${this.#lastId}\r\n`;
    const requestedAt = env.now();
    // Served once an update published after the request arrives (see ClientStats.beginWaiting).
    const waiting = this.kind === 'honest' || this.kind === 'churn' ? {} : undefined;
    if (waiting !== undefined) stats.beginWaiting(waiting, requestedAt);
    socket.write(
      `GET ${this.#path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${resume}\r\n`,
    );
    let status = 0;
    let ended = false;
    let byUs = false;
    const headTimer = setTimeout(() => {
      stats.headTimeouts++;
      byUs = true;
      socket.destroy();
    }, HEAD_TIMEOUT_MS);
    const parser = new SseResponseParser({
      head: (s, headers) => {
        clearTimeout(headTimer);
        status = s;
        // Mercure "Reconciliation": `earliest` means our Last-Event-ID is no longer in history.
        if (s === 200 && resume !== '' && headers.get('last-event-id') === 'earliest') {
          if (this.kind === 'slow') stats.expiredSlow++;
          else stats.expired++;
          this.check?.expire();
        }
        this.#onHead?.(s);
        this.#onHead = undefined;
        if (waiting !== undefined && s === 200 && this.check!.caughtUp()) stats.endWaiting(waiting);
        if (s !== 200) {
          stats.refused.set(s, (stats.refused.get(s) ?? 0) + 1);
          byUs = true;
          socket.destroy();
          return;
        }
        this.#behave(socket, () => {
          byUs = true;
        });
      },
      event: (id, data) => {
        stats.events++;
        this.#lastId = id;
        const a = data.indexOf(' ');
        const b = data.indexOf(' ', a + 1);
        const c = data.indexOf(' ', b + 1);
        const topic = Number(data.slice(0, a));
        const seq = Number(data.slice(a + 1, b));
        const stamp = Number(data.slice(b + 1, c === -1 ? undefined : c));
        if (seq === this.ignoreSeq && topic === this.#topics[0]) return;
        this.check?.observe(topic, seq);
        if (waiting !== undefined && (stamp >= requestedAt || this.check!.caughtUp()))
          stats.endWaiting(waiting);
        if (this.kind === 'honest' && stamp >= requestedAt) env.latency.record(env.now() - stamp);
      },
      retry: (ms) => {
        if (ms > 0) this.#retryMs = ms;
      },
      end: () => {
        // Like EventSource: the response is over, the connection goes (no keep-alive wait).
        ended = true;
        socket.destroy();
      },
    });
    socket.on('data', (b: Buffer) => parser.push(b));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(headTimer);
      if (waiting !== undefined) stats.endWaiting(waiting);
      stats.openSockets--;
      if (ended) stats.gracefulEnds++;
      else if (!byUs && !this.#stopped) stats.resets++;
      else if (status === 200) stats.clientCloses++;
      if (this.#stopped) return;
      // Like EventSource: wait `retry` after a graceful end or a drop; churn comes back at once.
      const delay =
        this.kind === 'churn' && byUs
          ? between(0, 100)
          : this.kind === 'silent'
            ? between(500, 2000)
            : this.#retryMs;
      this.#later(delay, () => this.#connect());
    });
  }

  /** What each kind does once its stream is open; `mine` marks a close as the client's own. */
  #behave(socket: Socket, mine: () => void): void {
    switch (this.kind) {
      case 'honest':
        return;
      case 'slow': {
        // Bursts: read for a while, then stop reading for a few seconds (longer than the write timeout, at times).
        const cycle = () => {
          if (socket.destroyed) return;
          socket.pause();
          this.#later(between(1000, 6000), () => {
            if (socket.destroyed) return;
            socket.resume();
            this.#later(between(200, 1500), cycle);
          });
        };
        this.#later(between(200, 1500), cycle);
        return;
      }
      case 'silent':
        socket.pause();
        // A paused socket never notices that the hub dropped it: replace it now and then.
        this.#later(between(20_000, 40_000), () => {
          mine();
          socket.destroy();
        });
        return;
      case 'churn':
        this.#later(between(300, 3000), () => {
          mine();
          socket.destroy();
        });
        return;
    }
  }
}
