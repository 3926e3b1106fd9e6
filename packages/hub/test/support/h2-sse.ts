import { once } from 'node:events';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type SecureClientSessionOptions,
} from 'node:http2';

/** A node:http2 client session to the hub (h2c when `base` is http:, h2 over TLS when https:). */
export async function h2Session(
  base: string,
  options: SecureClientSessionOptions = {},
): Promise<ClientHttp2Session> {
  const session = connect(base, { rejectUnauthorized: false, ...options });
  session.on('error', () => {});
  await once(session, 'connect');
  return session;
}

/** How a stream ended: cleanly (END_STREAM) or reset, with its RST_STREAM code. */
export interface H2End {
  readonly clean: boolean;
  readonly rstCode: number;
}

/**
 * One SSE stream of an HTTP/2 session, read as raw text (no parser in between), with waits on
 * what arrived (each DATA frame wakes the check: no sleep decides) and on how it ended.
 */
export class H2Sse {
  readonly stream: ClientHttp2Stream;
  readonly ended: Promise<H2End>;
  headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined;
  /** Arrival time (ms) and text of each DATA frame. */
  readonly frames: { at: number; text: string }[] = [];
  #text = '';
  #wake: (() => void) | undefined;
  #clean = false;

  constructor(session: ClientHttp2Session, path: string, headers: Record<string, string> = {}, read = true) {
    this.stream = session.request({ ':path': path, accept: 'text/event-stream', ...headers });
    this.stream.setEncoding('utf8');
    this.stream.on('response', (h) => {
      this.headers = h;
      this.#wake?.();
    });
    if (read) {
      this.stream.on('data', (d: string) => {
        this.frames.push({ at: performance.now(), text: d });
        this.#text += d;
        this.#wake?.();
      });
    } else this.stream.pause();
    this.stream.on('end', () => {
      this.#clean = true;
    });
    this.stream.on('error', () => {});
    this.ended = once(this.stream, 'close').then(() => {
      this.#wake?.();
      return { clean: this.#clean && this.stream.rstCode === 0, rstCode: this.stream.rstCode ?? -1 };
    });
  }

  get text(): string {
    return this.#text;
  }

  get status(): number | undefined {
    return this.headers?.[':status'];
  }

  /** Resolves once `check()` holds; rejects past `timeoutMs` or once the stream closed without it. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.stream.closed) throw new Error(`the stream closed before ${what}: ${this.#text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms: ${this.#text.slice(-500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The response head, however long the hub takes (a deadline, not a sleep). */
  opened(timeoutMs = 15_000): Promise<void> {
    return this.until(() => this.headers !== undefined, 'response head', timeoutMs);
  }
}
