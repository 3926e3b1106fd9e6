import { responseHeadBytes, utf8Length } from './wire-bytes.js';

// One poll or long-poll request to the hub, counted on its column: the request, and the bytes
// of the answer's head and body. Resolves with the answer, or throws (the caller backs off).
export async function fetchAnswer(url, column, headers = {}) {
  column.request();
  const res = await fetch(url, { headers: { Accept: 'application/json', ...headers }, cache: 'no-store' });
  const text = await res.text();
  const at = column.clock.now();
  column.read(responseHeadBytes(res) + utf8Length(text));
  if (res.status === 304)
    return { status: 304, at, events: [], cursor: undefined, etag: res.headers.get('ETag') };
  if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text);
  return {
    status: res.status,
    at,
    events: body.events,
    cursor: body.last_event_id,
    etag: res.headers.get('ETag'),
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
