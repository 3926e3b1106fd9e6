import { HubError } from '../errors.js';
import { FORMAT } from '../selector/topic-text.js';

/**
 * The one rule an event id given by a publisher must follow (docs/security.md, docs/errors.md
 * `invalid_id`): at most `maxLength` UTF-16 units of Unicode text without control characters
 * (C0, DEL, C1: CR, LF and NUL would break the SSE `id` field, WHATWG HTML 9.2.6, and no
 * control belongs in a header), without Unicode format characters (category Cf: Mercure
 * "Publication" forbids them in ids, as in topics), without lone surrogates (they have no UTF-8
 * form, so the id could not come back from a client), not `earliest` and not starting with `#`
 * (the hub's).
 *
 * Any other character is allowed: headers carry ids percent-encoded
 * (`http/header-value.ts` `idHeaderValue`), so no id can reach a response head as raw bytes.
 */
export function checkEventId(id: string, maxLength: number): void {
  if (id.length > maxLength) throw new HubError('field_too_large', `id longer than ${maxLength}`);
  if (NOT_TEXT.test(id)) {
    throw new HubError('invalid_id', 'id contains a control character or a lone surrogate');
  }
  if (FORMAT.test(id)) throw new HubError('invalid_id', 'id contains a format character');
  if (id === 'earliest') throw new HubError('invalid_id', 'id "earliest" is reserved');
  if (id.startsWith('#')) throw new HubError('invalid_id', 'ids starting with "#" are reserved for the hub');
}

const NOT_TEXT =
  /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
