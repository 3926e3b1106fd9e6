import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Reads an SSE response with eventsource-parser (an independent parser) and collects events. */
export class SseReader {
  readonly events: EventSourceMessage[] = [];
  /** Comment lines (heartbeats), text after the colon. */
  readonly comments: string[] = [];
  /** `retry:` values, in order. */
  readonly retries: number[] = [];
  readonly response: Response;
  readonly #controller: AbortController;
  readonly #waiters: { n: number; resolve: () => void }[] = [];
  #done: Promise<void>;

  private constructor(response: Response, controller: AbortController) {
    this.response = response;
    this.#controller = controller;
    const parser = createParser({
      onEvent: (e) => {
        this.events.push(e);
        for (const w of [...this.#waiters]) {
          if (this.events.length >= w.n) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve();
          }
        }
      },
      onComment: (c) => this.comments.push(c),
      onRetry: (r) => this.retries.push(r),
    });
    this.#done = (async () => {
      if (response.body === null) return;
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body)
          parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch {
        // aborted
      }
    })();
  }

  /** Opens a subscription; resolves once the response headers arrived (the subscription is registered). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const controller = new AbortController();
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: controller.signal,
    });
    return new SseReader(response, controller);
  }

  /** Resolves when at least `n` events arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 5000): Promise<EventSourceMessage[]> {
    if (this.events.length >= n) return Promise.resolve(this.events);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out waiting for ${n} events, got ${this.events.length}`)),
        timeoutMs,
      );
      this.#waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve(this.events);
        },
      });
    });
  }

  /** Resolves when the server ends the stream. */
  ended(): Promise<void> {
    return this.#done;
  }

  close(): void {
    this.#controller.abort();
  }
}
