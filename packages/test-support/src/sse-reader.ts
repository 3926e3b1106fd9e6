import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * How a stream ended. `clean`: the server finished the response (the terminating chunk of a
 * chunked body, RFC 9112 7.1), which an EventSource answers by reconnecting. `reset`: the
 * connection went away mid-response (undici's "terminated"), `error` says how. `aborted`: this
 * side closed it (close()).
 */
export type StreamEnd = { kind: 'clean' } | { kind: 'reset'; error: unknown } | { kind: 'aborted' };

/** Reads an SSE response with eventsource-parser (an independent parser) and collects events. */
export class SseReader {
  readonly events: EventSourceMessage[] = [];
  /** Comment lines (heartbeats), text after the colon. */
  readonly comments: string[] = [];
  /** `retry:` values, in order. */
  readonly retries: number[] = [];
  readonly response: Response;
  readonly #controller: AbortController;
  readonly #waiters: { ready: () => boolean; resolve: () => void }[] = [];
  #done: Promise<StreamEnd>;
  #aborted = false;

  private constructor(response: Response, controller: AbortController) {
    this.response = response;
    this.#controller = controller;
    const parser = createParser({
      onEvent: (e) => {
        this.events.push(e);
        for (const w of [...this.#waiters]) {
          if (w.ready()) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      },
      onComment: (c) => this.comments.push(c),
      onRetry: (r) => this.retries.push(r),
    });
    this.#done = (async (): Promise<StreamEnd> => {
      if (response.body === null) return { kind: 'clean' };
      const decoder = new TextDecoder();
      try {
        // A reader, not for-await: with the DOM library (the Picture Frame's tests) a
        // ReadableStream is not typed as async-iterable.
        const body = response.body.getReader();
        for (;;) {
          const { done, value } = await body.read();
          if (done) return { kind: 'clean' };
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch (error) {
        return this.#aborted ? { kind: 'aborted' } : { kind: 'reset', error };
      }
    })();
  }

  /**
   * Opens a subscription; resolves once the response headers arrived (the subscription is
   * registered), rejects when they have not within `timeoutMs` (undici alone would wait 300 s).
   */
  static async open(
    url: string,
    headers: Record<string, string> = {},
    timeoutMs = 15_000,
    /** Another method and a body: a `QUERY` subscribe carries its parameters in a form body. */
    init: { readonly method?: string; readonly body?: string } = {},
  ): Promise<SseReader> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`no response head within ${timeoutMs} ms: GET ${url}`)),
      timeoutMs,
    );
    try {
      const response = await fetch(url, {
        headers: { Accept: 'text/event-stream', ...headers },
        signal: controller.signal,
        ...init,
      });
      return new SseReader(response, controller);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when at least `n` events arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 15_000): Promise<EventSourceMessage[]> {
    return this.#until(() => this.events.length >= n, `${n} events`, timeoutMs).then(() => this.events);
  }

  /**
   * Resolves with the events received before the one with this id (exclusive) once it arrived.
   * Publishing a sentinel and waiting for it proves nothing else was in flight before it.
   */
  waitForId(id: string, timeoutMs = 15_000): Promise<EventSourceMessage[]> {
    const index = () => this.events.findIndex((e) => e.id === id);
    return this.#until(() => index() >= 0, `event ${JSON.stringify(id)}`, timeoutMs).then(() =>
      this.events.slice(0, index()),
    );
  }

  /** Resolves with the first event `matches` accepts, once it arrived; rejects after `timeoutMs`. */
  waitForEvent(
    matches: (e: EventSourceMessage) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<EventSourceMessage> {
    return this.#until(() => this.events.some(matches), what, timeoutMs).then(
      () => this.events.find(matches)!,
    );
  }

  #until(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        ready,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        const ids = this.events.map((e) => e.id).join(', ');
        reject(new Error(`timed out waiting for ${what}, got ${this.events.length} events: ${ids}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves, with how, when the stream ends (never rejects). */
  ended(): Promise<StreamEnd> {
    return this.#done;
  }

  /**
   * Resolves with how the stream ended; rejects when it has not ended within `timeoutMs`
   * (a generous deadline: the caller asserts on the kind, not on the time).
   */
  endedWithin(timeoutMs = 15_000): Promise<StreamEnd> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the stream did not end within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.#done, late]).finally(() => clearTimeout(timer));
  }

  close(): void {
    this.#aborted = true;
    this.#controller.abort();
  }
}
