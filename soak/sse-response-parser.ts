/** What an SSE response on a raw socket reports, as it arrives. */
export interface SseHandlers {
  head(status: number, headers: ReadonlyMap<string, string>): void;
  event(id: string, data: string): void;
  retry(ms: number): void;
  /** The terminating chunk: the hub ended the stream gracefully (lifetime, shutdown). */
  end(): void;
}

type State = 'head' | 'size' | 'data' | 'crlf' | 'identity' | 'ignore';

/**
 * An HTTP/1.1 response parsed from raw bytes: the head, then the body (chunked, or up to the end
 * of the connection) as SSE blocks.
 * Written for the soak's thousands of sockets: no streams, no per-event allocations beyond the
 * strings handed out. Text is decoded as latin1 (the soak's data is ASCII), so a chunk boundary
 * can never split a character.
 */
export class SseResponseParser {
  readonly #on: SseHandlers;
  #state: State = 'head';
  #head = '';
  #sizeLine = '';
  #remaining = 0;
  #crlf = 0;
  #text = '';

  constructor(handlers: SseHandlers) {
    this.#on = handlers;
  }

  push(input: Buffer): void {
    let buf = input;
    let i = 0;
    while (i < buf.length) {
      switch (this.#state) {
        case 'head': {
          this.#head += buf.toString('latin1', i);
          i = buf.length;
          const end = this.#head.indexOf('\r\n\r\n');
          if (end === -1) break;
          const rest = this.#head.slice(end + 4);
          const [statusLine = '', ...lines] = this.#head.slice(0, end).split('\r\n');
          this.#head = '';
          const headers = new Map<string, string>();
          for (const line of lines) {
            const colon = line.indexOf(':');
            if (colon > 0)
              headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
          }
          const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
          // A stream is chunked, or delimited by the end of the connection (RFC 9112 6.3).
          this.#state =
            status !== 200 ? 'ignore' : headers.get('transfer-encoding') === 'chunked' ? 'size' : 'identity';
          this.#on.head(status, headers);
          buf = Buffer.from(rest, 'latin1');
          i = 0;
          break;
        }
        case 'size': {
          const nl = buf.indexOf(10, i);
          if (nl === -1) {
            this.#sizeLine += buf.toString('latin1', i);
            i = buf.length;
            break;
          }
          this.#sizeLine += buf.toString('latin1', i, nl);
          i = nl + 1;
          const size = Number.parseInt(this.#sizeLine.trim(), 16);
          this.#sizeLine = '';
          if (!(size > 0)) {
            this.#state = 'ignore';
            this.#on.end();
            return;
          }
          this.#remaining = size;
          this.#state = 'data';
          break;
        }
        case 'data': {
          const n = Math.min(this.#remaining, buf.length - i);
          this.#feed(buf.toString('latin1', i, i + n));
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) {
            this.#state = 'crlf';
            this.#crlf = 2;
          }
          break;
        }
        case 'crlf': {
          const n = Math.min(this.#crlf, buf.length - i);
          i += n;
          this.#crlf -= n;
          if (this.#crlf === 0) this.#state = 'size';
          break;
        }
        case 'identity':
          this.#feed(buf.toString('latin1', i));
          return;
        case 'ignore':
          return;
      }
    }
  }

  #feed(text: string): void {
    this.#text += text;
    let start = 0;
    for (;;) {
      const end = this.#text.indexOf('\n\n', start);
      if (end === -1) break;
      this.#block(this.#text.slice(start, end));
      start = end + 2;
    }
    if (start > 0) this.#text = this.#text.slice(start);
  }

  #block(block: string): void {
    let id = '';
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
      else if (field === 'retry') this.#on.retry(Number(value));
    }
    if (data !== undefined) this.#on.event(id, data);
  }
}
