import { EventSource } from 'eventsource';

/** One event as the `eventsource` client dispatched it. */
export interface ReceivedEvent {
  readonly type: string;
  readonly data: string;
  readonly lastEventId: string;
}

/**
 * The `eventsource` npm client (WHATWG EventSource on fetch), collecting the events of the
 * given types, every `open` and `error`, and the request headers of every (re)connection.
 */
export class EventSourceClient {
  readonly source: EventSource;
  readonly events: ReceivedEvent[] = [];
  /** `Date.now()` of every `open` and every `error`, in order. */
  readonly opens: number[] = [];
  readonly errors: number[] = [];
  /** Headers the client sent on each connection attempt (Last-Event-ID on reconnects). */
  readonly requests: Record<string, string>[] = [];
  /** Status and headers of every response. */
  readonly responses: { status: number; headers: Headers }[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(url: string, types: readonly string[] = ['message']) {
    this.source = new EventSource(url, {
      fetch: (input, init) => {
        this.requests.push({ ...init.headers });
        return fetch(input, init).then((res) => {
          this.responses.push({ status: res.status, headers: res.headers });
          return res;
        });
      },
    });
    for (const type of new Set(types)) {
      this.source.addEventListener(type, (e: MessageEvent) => {
        this.events.push({ type: e.type, data: e.data as string, lastEventId: e.lastEventId });
        this.#wake();
      });
    }
    this.source.addEventListener('open', () => {
      this.opens.push(Date.now());
      this.#wake();
    });
    this.source.addEventListener('error', () => {
      this.errors.push(Date.now());
      this.#wake();
    });
  }

  /** Resolves once `predicate()` holds; rejects after `timeoutMs`. */
  until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.splice(this.#waiters.indexOf(check), 1);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(check), 1);
        reject(
          new Error(
            `timed out waiting for ${what}; ${this.events.length} events, state ${this.source.readyState}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(check);
    });
  }

  opened(): Promise<void> {
    return this.until(() => this.opens.length > 0, 'open');
  }

  waitFor(n: number, timeoutMs?: number): Promise<ReceivedEvent[]> {
    return this.until(() => this.events.length >= n, `${n} events`, timeoutMs).then(() => this.events);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  close(): void {
    this.source.close();
  }
}
