import type { Update } from '../model/update.js';

/**
 * An update as the JSON transports carry it (WebSocket messages, poll answers): `{"id", "type",
 * "data", "retry"}`, `type` only when the publisher set one, `retry` only when set. The same
 * fields an SSE event has (WHATWG HTML 9.2.6: `id`, `event`, `data`, `retry`), so a client that
 * falls back from one transport to another sees the same events, ids and cursor.
 *
 * `JSON.stringify` escapes lone surrogates and every control character: the text is valid UTF-8
 * and holds no raw line break, so a framing may separate encoded updates with `\n`.
 */
export function updateJson(u: Update): string {
  // Keys in this order: id, type, data, retry.
  const message: { id: string; type?: string; data?: string; retry?: number } = { id: u.id };
  if (u.type !== undefined && u.type !== '') message.type = u.type;
  message.data = u.data;
  if (u.retry !== undefined) message.retry = u.retry;
  return JSON.stringify(message);
}
