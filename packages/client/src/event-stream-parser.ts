/**
 * The event stream parser of the HTML standard, "Server-sent events" §9.2.6 "Interpreting an
 * event stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
 * fed with bytes as they arrive, in chunks of any size.
 */
export interface ParsedEvent {
  /** The event type: the `event` field, or `message` when there was none. */
  readonly type: string;
  /** `undefined` when the block had no `data` field: nothing is dispatched, but the id still counts. */
  readonly data: string | undefined;
  /** The event source's last event ID string after this block (it persists across blocks). */
  readonly lastEventId: string;
  /** The block had an `id` field of its own (the id is new, not carried over from an earlier block). */
  readonly idSet: boolean;
}

const LF = 10;
const CR = 13;

export class EventStreamParser {
  // "UTF-8 decode" (Encoding §4.4): replacement characters for bad bytes, one leading BOM dropped.
  // `stream: true` keeps a character split across chunks until its last byte arrives.
  readonly #decoder = new TextDecoder();
  readonly #dispatch: (event: ParsedEvent) => void;
  readonly #retry: (ms: number) => void;
  #text = '';
  /** The previous chunk ended with CR: an LF starting this one belongs to that CRLF. */
  #afterCR = false;
  #data = '';
  #type = '';
  #hasData = false;
  #idSet = false;
  #lastEventId: string;

  /**
   * `lastEventId` seeds the last event ID buffer. The standard starts it empty for each stream;
   * Chromium and Firefox carry the source's last event ID string over a reconnection, so an
   * event without an `id` field after a reconnect keeps the id of before (the agreement tests
   * compare with Chromium's native EventSource).
   */
  constructor(lastEventId: string, dispatch: (event: ParsedEvent) => void, retry: (ms: number) => void) {
    this.#lastEventId = lastEventId;
    this.#dispatch = dispatch;
    this.#retry = retry;
  }

  feed(bytes: Uint8Array): void {
    let text = this.#decoder.decode(bytes, { stream: true });
    if (text === '') return;
    if (this.#afterCR) {
      this.#afterCR = false;
      if (text.charCodeAt(0) === LF) text = text.slice(1);
    }
    this.#text += text;
    this.#lines();
  }

  /**
   * §9.2.6: "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF)
   * character pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE RETURN
   * (CR) character." A CR at the very end is a complete line ending already; the LF that may
   * follow in the next chunk is skipped there.
   */
  #lines(): void {
    const s = this.#text;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      this.#line(s.slice(start, i));
      if (c === CR) {
        if (i + 1 === s.length) this.#afterCR = true;
        else if (s.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    this.#text = s.slice(start);
  }

  /** §9.2.6, the steps for each line. */
  #line(line: string): void {
    // "If the line is empty (a blank line): Dispatch the event."
    if (line === '') {
      this.#dispatchEvent();
      return;
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    const colon = line.indexOf(':');
    if (colon === 0) return;
    // "If the line contains a U+003A COLON character: collect the characters on the line before
    // the first colon, and let field be that string; ... let value be the characters after it;
    // if value starts with a U+0020 SPACE character, remove it. Otherwise, the string is not
    // empty but does not contain a colon: process the field using the whole line as the field
    // name, and the empty string as the field value."
    let field = line;
    let value = '';
    if (colon > 0) {
      field = line.slice(0, colon);
      value = line.slice(line.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1);
    }
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        // "Append the field value to the data buffer, then append a single U+000A LINE FEED."
        this.#data += value + '\n';
        this.#hasData = true;
        break;
      case 'id':
        // "If the field value does not contain U+0000 NULL, then set the last event ID buffer to
        // the field value. Otherwise, ignore the field."
        if (!value.includes('\0')) {
          this.#lastEventId = value;
          this.#idSet = true;
        }
        break;
      case 'retry':
        // "If the field value consists of only ASCII digits, then interpret the field value as an
        // integer in base ten, and set the event stream's reconnection time to that integer."
        if (/^[0-9]+$/.test(value)) this.#retry(Number.parseInt(value, 10));
        break;
      // "Otherwise: The field is ignored."
    }
  }

  /** §9.2.6 "dispatch the event". */
  #dispatchEvent(): void {
    // 1. "Set the last event ID string of the event source to the value of the last event ID buffer."
    // 2. "If the data buffer is an empty string, set the data buffer and the event type buffer to
    //    the empty string and return." (Still reported, so the caller keeps the id.)
    // 3. "If the data buffer's last character is a U+000A LINE FEED (LF), remove it."
    // 5. The type is the event type buffer, or "message" when it is empty.
    const data = this.#hasData ? this.#data.slice(0, -1) : undefined;
    const type = this.#type === '' ? 'message' : this.#type;
    // 6. "Set the data buffer and the event type buffer to the empty string."
    this.#data = '';
    this.#type = '';
    this.#hasData = false;
    const idSet = this.#idSet;
    this.#idSet = false;
    this.#dispatch({ type, data, lastEventId: this.#lastEventId, idSet });
  }
}
