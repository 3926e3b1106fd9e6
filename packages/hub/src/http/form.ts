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
      // Searches stay inside the field (a view, no copy): a search running on to the end of the
      // body would make a body of many small fields cost its length squared.
      const seg = body.subarray(start, end);
      const eq = seg.indexOf(0x3d /* = */);
      if (eq === -1) field(decode(seg), '');
      else field(decode(seg.subarray(0, eq)), decode(seg.subarray(eq + 1)));
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

function decode(bytes: Buffer): string {
  if (bytes.length === 0) return '';
  if (bytes.indexOf(0x25 /* % */) === -1 && bytes.indexOf(0x2b /* + */) === -1) return strict(bytes);
  const out = Buffer.allocUnsafe(bytes.length);
  let j = 0;
  for (let k = 0; k < bytes.length; k++) {
    const b = bytes[k]!;
    if (b === 0x2b /* + */) {
      out[j++] = 0x20;
    } else if (b === 0x25 /* % */) {
      const hi = hex(bytes[k + 1]);
      const lo = hex(bytes[k + 2]);
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
  return strict(out.subarray(0, j));
}

function strict(bytes: Buffer): string {
  // ASCII (most fields: topics, ids, JSON data) needs no UTF-8 validation: latin1 is then exact.
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HubError('invalid_form', 'the body is not valid UTF-8 after percent-decoding');
  }
}
