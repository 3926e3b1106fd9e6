import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';

/**
 * Reads an SSE response as raw bytes with node:http (no SSE parser in between), for checks on
 * the exact bytes the hub writes: frames, comments, what every subscriber gets.
 */
export class RawSseReader {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly #chunks: Buffer[] = [];
  readonly #req: ClientRequest;
  readonly #waiters: { check: () => boolean }[] = [];
  #ended = false;

  private constructor(req: ClientRequest, status: number, headers: IncomingHttpHeaders) {
    this.#req = req;
    this.status = status;
    this.headers = headers;
  }

  /**
   * Opens a GET; resolves once the status line and headers arrived, rejects when they have not
   * within `timeoutMs` (a generous deadline: a head held back until something is written fails).
   */
  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<RawSseReader> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } });
      const timer = setTimeout(
        () => req.destroy(new Error(`no response head within ${timeoutMs} ms: GET ${url}`)),
        timeoutMs,
      );
      req.on('response', (res) => {
        clearTimeout(timer);
        const reader = new RawSseReader(req, res.statusCode ?? 0, res.headers);
        res.on('data', (chunk: Buffer) => {
          reader.#chunks.push(chunk);
          reader.#wake();
        });
        const end = () => {
          reader.#ended = true;
          reader.#wake();
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        resolve(reader);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end();
    });
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves once `predicate(bytes)` holds; rejects after `timeoutMs` (or when the stream ends first). */
  waitUntil(predicate: (bytes: Buffer) => boolean, timeoutMs = 15_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: (): boolean => {
          const bytes = this.bytes;
          if (predicate(bytes)) {
            done();
            resolve(bytes);
            return true;
          }
          if (this.#ended) {
            done();
            reject(new Error(`stream ended before the condition held; got ${JSON.stringify(this.text)}`));
            return true;
          }
          return false;
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out; got ${JSON.stringify(this.text.slice(0, 2000))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
      };
      if (!waiter.check()) this.#waiters.push(waiter);
    });
  }

  /** Resolves once `n` blank-line-terminated blocks (events or comments) arrived. */
  waitForBlocks(n: number, timeoutMs?: number): Promise<Buffer> {
    return this.waitUntil((b) => b.toString('utf8').split('\n\n').length - 1 >= n, timeoutMs);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w.check();
  }

  close(): void {
    this.#req.destroy();
  }
}
