/**
 * Encodes one SSE event (WHATWG HTML 9.2.6, "Interpreting an event stream").
 *
 * - `data` is split on CRLF, LF and lone CR: every line becomes its own `data: ` line, so the
 *   parser's "append value + LF" rebuilds the input with line ends normalised to LF.
 * - `id` and `event` values are validated before they get here (no CR, LF, NUL), so they can
 *   never inject a field; we assert it again because a frame is forever.
 * - One space after each colon: the parser strips exactly one.
 */
const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;

export interface EventFields {
  readonly id?: string | undefined;
  readonly type?: string | undefined;
  readonly retry?: number | undefined;
  readonly data: string;
}

export function assertFieldValue(name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new TypeError(`SSE ${name} must not contain CR, LF or NUL`);
}

export function encodeEvent(e: EventFields): Buffer {
  return Buffer.from(eventText(e), 'utf8');
}

/** The event as text: what encodeEvent encodes, for callers that write it into a buffer of their own. */
export function eventText(e: EventFields): string {
  let out = '';
  if (e.type !== undefined && e.type !== '') {
    assertFieldValue('event', e.type);
    out += `event: ${e.type}\n`;
  }
  if (e.retry !== undefined) out += `retry: ${Math.trunc(e.retry)}\n`;
  if (e.id !== undefined) {
    assertFieldValue('id', e.id);
    out += `id: ${e.id}\n`;
  }
  // An empty data buffer fires nothing (9.2.6 dispatch step 2), so even empty data gets one line.
  // Most data is one line: no split, no array.
  if (!HAS_LINE_BREAK.test(e.data)) return `${out}data: ${e.data}\n\n`;
  for (const line of e.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** A comment line: ignored by parsers, keeps proxies from closing an idle stream. */
export function encodeComment(text = ''): Buffer {
  assertFieldValue('comment', text);
  return Buffer.from(text === '' ? ':\n\n' : `: ${text}\n\n`, 'utf8');
}

/** A standalone `retry:` field, sent once at the start of a stream. */
export function encodeRetry(ms: number): Buffer {
  return Buffer.from(`retry: ${Math.trunc(ms)}\n\n`, 'utf8');
}
