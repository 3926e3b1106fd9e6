import { backoffDelay } from './backoff.js';
import { EventStreamParser, type ParsedEvent } from './event-stream-parser.js';
import { pollOnce } from './long-poll.js';
import type { HeadersSource } from './options.js';
import { bearerExpiry, refreshDelay } from './token-expiry.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** What a connection reports to whoever presents it (the event source, or the tabs it is shared with). */
export interface ConnectionSink {
  open(origin: string): void;
  event(event: ParsedEvent, origin: string): void;
  /** `closed`: failed for good (no reconnection). */
  error(closed: boolean): void;
  gap(): void;
}

export interface ConnectionOptions {
  readonly url: string;
  readonly withCredentials: boolean;
  readonly headers: HeadersSource | undefined;
  readonly retry: number;
  readonly maxRetry: number;
  readonly healthyAfter: number;
  readonly refreshBeforeExpiry: number;
  /** No byte of the stream within this many ms: long-poll instead (0: never). */
  readonly fallbackAfter: number;
  /** Seconds a long poll may wait for news (`wait`). */
  readonly pollWait: number;
  readonly fetch: typeof fetch;
}

/**
 * One event stream over fetch, with the HTML standard's connection rules ("Server-sent events"
 * §9.2.3 "Processing model": https://html.spec.whatwg.org/multipage/server-sent-events.html#sse-processing-model)
 * and the client's additions: headers per attempt, one retry after a 401, renewal before the
 * token expires, backoff, and waiting for the network to come back.
 */
export class Connection {
  readyState = CONNECTING;
  lastEventId: string;
  readonly #o: ConnectionOptions;
  readonly #sink: ConnectionSink;
  #url: string;
  #retry: number;
  #failures = 0;
  #openedAt = 0;
  #abort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewal: ReturnType<typeof setTimeout> | undefined;
  #waitingOnline = false;
  /** Streaming did not work here (no byte came): long polls from now on. */
  #polling = false;
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  readonly #online = () => {
    if (this.#waitingOnline || this.#timer !== undefined) {
      this.#failures = 0;
      this.#connect(false);
    }
  };

  constructor(o: ConnectionOptions, lastEventId: string, sink: ConnectionSink) {
    this.#o = o;
    this.#sink = sink;
    this.#retry = o.retry;
    this.#url = o.url;
    this.lastEventId = lastEventId;
    globalThis.addEventListener?.('online', this.#online);
    this.#connect(false);
  }

  close(): void {
    this.readyState = CLOSED;
    this.#stop();
    globalThis.removeEventListener?.('online', this.#online);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#renewal);
    clearTimeout(this.#watchdog);
    this.#timer = this.#renewal = this.#watchdog = undefined;
    this.#waitingOnline = false;
    this.#abort?.abort();
  }

  /** §9.2.3 "fetch the event stream"; `retried` after one 401 already. */
  async #connect(retried: boolean): Promise<void> {
    this.#stop();
    if (this.readyState === CLOSED) return;
    const abort = new AbortController();
    this.#abort = abort;
    const { signal } = abort;
    if (this.#polling) return this.#poll(retried, signal);
    // A proxy that buffers the stream holds even the hub's first bytes (its `retry:`, then a
    // heartbeat every 15 s): when none has come in time, streaming does not work here.
    if (this.#o.fallbackAfter > 0) {
      this.#watchdog = setTimeout(() => {
        this.#polling = true;
        this.#connect(false);
      }, this.#o.fallbackAfter);
    }
    let res: Response;
    let sent: Record<string, string>;
    const cursor = this.lastEventId;
    try {
      const h = this.#o.headers;
      sent = { ...(typeof h === 'function' ? await h() : h) };
      if (signal.aborted) return;
      const headers = new Headers(sent);
      // §9.2.3: "Accept: text/event-stream", cache mode "no-store", and the last event ID
      // string, when not empty, as `Last-Event-ID`.
      headers.set('Accept', 'text/event-stream');
      // Header values are byte strings: the id goes as its UTF-8 bytes, as browsers send it.
      if (cursor !== '')
        headers.set('Last-Event-ID', String.fromCharCode(...new TextEncoder().encode(cursor)));
      res = await this.#o.fetch(this.#url, {
        headers,
        cache: 'no-store',
        credentials: this.#o.withCredentials ? 'include' : 'same-origin',
        redirect: 'follow',
        signal,
      });
    } catch {
      // "network error": reestablish the connection (a headers function that threw is treated alike).
      if (!signal.aborted) this.#reestablish();
      return;
    }
    if (signal.aborted) return;
    const type = res.headers.get('Content-Type')?.split(';')[0]?.trim().toLowerCase();
    if (res.status !== 200 || type !== 'text/event-stream') {
      res.body?.cancel().catch(() => {});
      // A token that went stale between the call and the hub: ask for a fresh one, once.
      if (res.status === 401 && typeof this.#o.headers === 'function' && !retried) {
        return this.#connect(true);
      }
      // "if res's status is not 200, or if res's Content-Type is not text/event-stream, then
      // fail the connection" (204 included: it stops reconnection).
      return this.#fail();
    }
    // Reconnections go to where the redirects led, as in Chromium and Firefox.
    this.#url = res.url || this.#url;
    const origin = new URL(this.#url).origin;
    // "announce the connection" (a renewal of an open stream is invisible to the application).
    const wasOpen = this.readyState === OPEN;
    this.readyState = OPEN;
    this.#openedAt = Date.now();
    if (!wasOpen) this.#sink.open(origin);
    // Mercure "Reconciliation": `earliest` answered to a cursor means history did not reach back.
    const answered = res.headers.get('Mercure-Last-Event-ID') ?? res.headers.get('Last-Event-ID');
    if (cursor !== '' && cursor !== 'earliest' && answered === 'earliest') this.#sink.gap();
    this.#scheduleRenewal(sent);
    await this.#read(res, signal, origin);
  }

  async #read(res: Response, signal: AbortSignal, origin: string): Promise<void> {
    const parser = new EventStreamParser(
      this.lastEventId,
      (e) => {
        if (this.readyState === CLOSED || signal.aborted) return;
        this.lastEventId = e.lastEventId;
        this.#sink.event(e, origin);
      },
      (ms) => {
        this.#retry = ms;
      },
    );
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || signal.aborted) break;
        if (value.length > 0) clearTimeout(this.#watchdog);
        parser.feed(value);
      }
    } catch {
      // A network error mid-stream: reestablished below, like the end of the stream.
    }
    // "When a user agent is to reestablish the connection..." once the stream ends, for any reason
    // but ours. Whatever was not followed by a blank line is discarded with the parser.
    if (!signal.aborted) this.#reestablish();
    else reader.cancel().catch(() => {});
  }

  /**
   * The fallback: one long poll from the cursor (long-poll.ts), its events delivered as the
   * stream's would be, then the next. Headers are asked for at every poll; a 401 asks once more.
   */
  async #poll(retried: boolean, signal: AbortSignal): Promise<void> {
    const cursor = this.lastEventId;
    let answer: Awaited<ReturnType<typeof pollOnce>>;
    try {
      const h = this.#o.headers;
      const headers = new Headers(typeof h === 'function' ? await h() : h);
      if (signal.aborted) return;
      answer = await pollOnce(this.#o.fetch, this.#url, headers, cursor, this.#o.pollWait, {
        cache: 'no-store',
        credentials: this.#o.withCredentials ? 'include' : 'same-origin',
        signal,
      });
    } catch {
      if (!signal.aborted) this.#reestablish();
      return;
    }
    if (signal.aborted) return;
    const { status } = answer;
    if (status === 401 && typeof this.#o.headers === 'function' && !retried) return this.#connect(true);
    if (status !== 200)
      return status >= 500 || status === 429 || status === 408 ? this.#reestablish() : this.#fail();
    const origin = new URL(answer.url || this.#url).origin;
    if (this.readyState !== OPEN) {
      this.readyState = OPEN;
      this.#openedAt = Date.now();
      this.#sink.open(origin);
    }
    if (cursor !== '' && cursor !== 'earliest' && answer.from === 'earliest') this.#sink.gap();
    if (answer.retry !== undefined) this.#retry = answer.retry;
    for (const e of answer.events) {
      if (this.readyState === CLOSED || signal.aborted) return;
      this.lastEventId = e.lastEventId;
      this.#sink.event(e, origin);
    }
    if (answer.cursor !== undefined) this.lastEventId = answer.cursor;
    this.#failures = 0;
    this.#connect(false);
  }

  #scheduleRenewal(sent: Record<string, string>): void {
    let auth: string | undefined;
    for (const k in sent) if (k.toLowerCase() === 'authorization') auth = sent[k];
    const exp = bearerExpiry(auth);
    const delay = exp === undefined ? undefined : refreshDelay(exp, Date.now(), this.#o.refreshBeforeExpiry);
    if (delay === undefined || typeof this.#o.headers !== 'function') return;
    // A new connection with a fresh token, resuming from the cursor, before the hub ends this one.
    this.#renewal = setTimeout(() => this.#connect(false), delay);
  }

  /** §9.2.3 "reestablish the connection". */
  #reestablish(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === OPEN && Date.now() - this.#openedAt >= this.#o.healthyAfter) this.#failures = 0;
    clearTimeout(this.#renewal);
    this.readyState = CONNECTING;
    this.#sink.error(false);
    if (this.readyState !== CONNECTING) return;
    if (globalThis.navigator?.onLine === false) {
      // Nothing to try while offline: the `online` event reconnects.
      this.#waitingOnline = true;
      return;
    }
    const delay = backoffDelay(this.#retry, this.#failures++, this.#o.maxRetry);
    this.#timer = setTimeout(() => this.#connect(false), delay);
  }

  /** §9.2.3 "fail the connection". */
  #fail(): void {
    this.close();
    this.#sink.error(true);
  }
}
