import { HubError } from '../../errors.js';
import type { SubscribeParams } from '../../subscribe/subscribe-params.js';

/**
 * Whether a subscribe asks for JSON rather than an event stream (RFC 9110 12.5.1 `Accept`):
 * `application/json` with a quality above 0, and above that of `text/event-stream` if that is
 * listed too (at equal quality the stream wins: it is what Mercure subscribers ask for).
 * Wildcards do not count: `*\/*` (curl, fetch) keeps getting the stream.
 */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const ranges = accept.toLowerCase();
  if (!ranges.includes('json')) return false;
  let json = 0;
  let stream = -1;
  for (const range of ranges.split(',')) {
    const [type = '', ...params] = range.split(';');
    const name = type.trim();
    if (name !== 'application/json' && name !== 'text/event-stream') continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim() === 'q') q = Number(v?.trim());
    }
    if (!(q >= 0 && q <= 1)) q = 0;
    if (name === 'application/json') json = Math.max(json, q);
    else stream = Math.max(stream, q);
  }
  return json > 0 && json > stream;
}

/** `wait=S`: seconds, up to three decimals (`0.5`, `25`). */
const SECONDS = /^[0-9]{1,6}(\.[0-9]{1,3})?$/;

/**
 * The long-poll's `wait` in ms (docs/transports.md): how long the answer may wait for a first
 * matching update; 0 (or no `wait`) answers at once (a poll). Anything but one number of seconds
 * from 0 to `maxWaitMs` is 400 `invalid_wait`.
 */
export function requestedWait(pairs: SubscribeParams['pairs'], maxWaitMs: number): number {
  const values = pairs.filter(([name]) => name === 'wait').map(([, value]) => value);
  if (values.length === 0) return 0;
  if (values.length > 1) throw new HubError('invalid_wait', 'wait given more than once');
  const text = values[0]!;
  if (!SECONDS.test(text))
    throw new HubError('invalid_wait', 'wait must be a number of seconds, like 25 or 0.5');
  const ms = Math.round(Number(text) * 1000);
  if (ms > maxWaitMs) throw new HubError('invalid_wait', `wait must be at most ${maxWaitMs / 1000} seconds`);
  return ms;
}

/**
 * `If-None-Match` (RFC 9110 13.1.2) against the answer's entity-tag, by weak comparison: true
 * when one of the listed tags, or `*`, matches. A malformed header matches nothing.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === '*') return true;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const wanted = opaque(etag);
  for (const tag of value.split(',')) if (opaque(tag.trim()) === wanted) return true;
  return false;
}
