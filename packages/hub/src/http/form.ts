import { isAscii } from 'node:buffer';
import { HubError } from '../errors.js';

// ignoreBOM: each field is decoded on its own, and a value that starts with U+FEFF must keep it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses `application/x-www-form-urlencoded` (WHATWG URL, "urlencoded parsing") into ordered
 * pairs, like URLSearchParams, except that invalid UTF-8 is an error instead of U+FFFD: a
 * publish must arrive byte-exact or not at all (Mercure: field values MUST be UTF-8).
 */
export function parseForm(body: Buffer): [string, string][] {
  const pairs: [string, string][] = [];
  forEachField(body, (name, value) => pairs.push([name, value]));
  return pairs;
}

/**
 * The same parse, without building the list of pairs: each field is decoded straight from the
 * body (a view into it, no copy unless it is percent-encoded) and handed to `field` in order.
 * The publish path uses it, since every allocation there is paid once per update.
 */
export function forEachField(body: Buffer, field: (name: string, value: string) => void): void {
  const length = body.length;
  let start = 0;
  while (start <= length) {
    let end = body.indexOf(0x26 /* & */, start);
    if (end === -1) end = length;
    if (end > start) {
      const eq = body.indexOf(0x3d /* = */, start);
      if (eq === -1 || eq >= end) field(decode(body, start, end), '');
      else field(decode(body, start, eq), decode(body, eq + 1, end));
    }
    start = end + 1;
  }
}

function hex(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

function decode(body: Buffer, from: number, to: number): string {
  if (from === to) return '';
  const pct = body.indexOf(0x25 /* % */, from);
  const plus = body.indexOf(0x2b /* + */, from);
  if ((pct === -1 || pct >= to) && (plus === -1 || plus >= to)) return strict(body, from, to);
  const out = Buffer.allocUnsafe(to - from);
  let j = 0;
  for (let k = from; k < to; k++) {
    const b = body[k]!;
    if (b === 0x2b /* + */) {
      out[j++] = 0x20;
    } else if (b === 0x25 /* % */) {
      const hi = k + 1 < to ? hex(body[k + 1]) : -1;
      const lo = k + 2 < to ? hex(body[k + 2]) : -1;
      // A `%` not followed by two hex digits stays as it is (WHATWG percent-decode).
      if (hi < 0 || lo < 0) out[j++] = b;
      else {
        out[j++] = (hi << 4) | lo;
        k += 2;
      }
    } else {
      out[j++] = b;
    }
  }
  return strict(out, 0, j);
}

function strict(bytes: Buffer, from: number, to: number): string {
  // ASCII (most fields: topics, ids, JSON data) needs no UTF-8 validation: latin1 is then exact.
  const view = bytes.subarray(from, to);
  if (isAscii(view)) return bytes.toString('latin1', from, to);
  try {
    return utf8.decode(view);
  } catch {
    throw new HubError('invalid_form', 'the body is not valid UTF-8 after percent-decoding');
  }
}
