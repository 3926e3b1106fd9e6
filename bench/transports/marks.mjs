// Finds the benchmark's updates in any bytes a client receives: SSE events, WebSocket messages,
// JSON poll answers and HTTP/2 DATA all carry the 100-byte payload verbatim (nothing in it is
// escaped), and '~' followed by 10 digits, '.', 13 digits occurs nowhere else. One native indexOf
// per update, no parsing of the transport's framing (bench/loadgen/payload.mjs has the layout).
import { MARK, SEQ_DIGITS, TS_DIGITS } from '../loadgen/payload.mjs';

const TS_AT = 1 + SEQ_DIGITS + 1;
const TOKEN = TS_AT + TS_DIGITS;

/** The decimal number in b[at, at + width), or -1 if a byte is not a digit. */
function digits(b, at, width) {
  let v = 0;
  for (let k = at; k < at + width; k++) {
    const d = b[k] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Calls onMark(seq, tsUs) for each update in b[start, end). A token cut by the end of the bytes
 * is returned (a copy) so the caller can prepend it to the next bytes of the same stream; null
 * when nothing is left over.
 */
export function scanMarks(b, start, end, onMark) {
  let i = b.indexOf(MARK, start);
  while (i !== -1 && i < end) {
    if (i + TOKEN > end) return Buffer.from(b.subarray(i, end));
    const seq = digits(b, i + 1, SEQ_DIGITS);
    const ts = seq < 0 ? -1 : digits(b, i + TS_AT, TS_DIGITS);
    if (ts < 0) {
      i = b.indexOf(MARK, i + 1); // a '~' that is not ours
      continue;
    }
    onMark(seq, ts);
    i = b.indexOf(MARK, i + TOKEN);
  }
  return null;
}

/** Scans a stream's next bytes with what the previous read left over; returns the new leftover. */
export function scanStream(carry, b, start, end, onMark) {
  if (carry === null) return scanMarks(b, start, end, onMark);
  const joined = Buffer.concat([carry, b.subarray(start, end)]);
  return scanMarks(joined, 0, joined.length, onMark);
}
