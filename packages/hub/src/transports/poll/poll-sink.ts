import type { CloseReason, Framing, Opening, Sink, SinkOwner } from '../../stream/sink.js';
import { EVENT_END, POLL_JSON } from './poll-framing.js';

/**
 * One poll's answer as a sink of the subscription core: it collects the events the core writes
 * (history after the cursor, then the live updates held meanwhile: no gap, no duplicate), and
 * ends, as `client`, when the answer is ready: after the replay (a poll), at the first live write
 * (a long poll that found nothing yet), when it holds `maxEvents` events or `maxBytes` bytes
 * (the events that did not fit come with the next poll, from the cursor), or when the core ends
 * it (token expiry, lifetime, shutdown). Never blocked: an answer is bounded and held whole.
 */
export class PollSink implements Sink {
  owner: SinkOwner | undefined;
  readonly blocked = false;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #lines: Buffer[] = [];
  #bytes = 0;
  #closed = false;
  /** The replay is done: the next write answers. */
  #answerOnWrite = false;
  #ended!: () => void;
  /** Resolves once the sink has ended: the answer is ready. */
  readonly done: Promise<void>;
  /** What the core said when it opened the subscription (the resume's cursor). */
  opening: Opening | undefined;

  constructor(maxEvents: number, maxBytes: number) {
    this.#maxEvents = Math.max(1, maxEvents);
    this.#maxBytes = maxBytes;
    this.done = new Promise((resolve) => {
      this.#ended = resolve;
    });
  }

  get framing(): Framing {
    return POLL_JSON;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The events collected, each one JSON object. */
  get events(): readonly Buffer[] {
    return this.#lines;
  }

  write(bytes: Buffer): boolean {
    if (this.#closed) return false;
    let at = 0;
    while (at < bytes.length) {
      let end = bytes.indexOf(EVENT_END, at);
      if (end === -1) end = bytes.length;
      const line = bytes.subarray(at, end);
      at = end + 1;
      const count = this.#lines.length;
      // At least one event per answer, however large: the cursor must move on.
      if (count >= this.#maxEvents || (count > 0 && this.#bytes + line.length > this.#maxBytes)) {
        this.close('client');
        return false;
      }
      this.#lines.push(line);
      this.#bytes += line.length + 1;
    }
    if (this.#answerOnWrite) this.close('client');
    return true;
  }

  whenWritable(): Promise<void> {
    return Promise.resolve();
  }

  open(opening: Opening): void {
    this.opening = opening;
  }

  /** The replay is written: answer now if it found anything, else at the first live write. */
  answerOnWrite(): void {
    if (this.#lines.length > 0) this.close('client');
    else this.#answerOnWrite = true;
  }

  close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ended();
    this.owner?.sinkClosed(reason);
  }

  destroy(): void {
    this.close('shutdown');
  }

  /** The answer's body: `{"events": [...], "last_event_id": "<cursor>"}`. */
  body(cursor: string): Buffer {
    const parts: Buffer[] = [Buffer.from('{"events":[')];
    this.#lines.forEach((line, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(line);
    });
    parts.push(Buffer.from(`],"last_event_id":${JSON.stringify(cursor)}}`));
    return Buffer.concat(parts);
  }

  /** The id of the last event collected, if any. */
  lastId(): string | undefined {
    const last = this.#lines.at(-1);
    return last === undefined ? undefined : (JSON.parse(last.toString('utf8')) as { id: string }).id;
  }
}

const COMMA = Buffer.from(',');
