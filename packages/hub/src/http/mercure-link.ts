import { headerValue, idHeaderValue } from './header-value.js';

/**
 * A `rel="mercure"` Link header value (RFC 8288, Mercure "Discovery" and "Subscription API"):
 * the hub URL and target attributes such as `last-event-id`, `type` and `content-type`. Values
 * go through `header-value.ts`, the one encoder for what a header echoes: the `last-event-id`
 * attribute as every id in a header (`idHeaderValue`: percent-encoded UTF-8, `"` and `%`
 * included, so `decodeURIComponent` gives the id back exactly), the others through
 * `headerValue`. Each is then an RFC 9110 quoted-string (`"` and `\` escaped), so no value can
 * end its attribute early, add a parameter or break the header.
 */
export function mercureLink(hubUrl: string, attributes: Readonly<Record<string, string>> = {}): string {
  let out = `<${headerValue(hubUrl).replace(/[<>]/g, encodeURIComponent)}>; rel="mercure"`;
  for (const [name, value] of Object.entries(attributes)) {
    const encoded = name === 'last-event-id' ? idHeaderValue(value) : headerValue(value);
    out += `; ${name}="${encoded.replace(/["\\]/g, '\\$&')}"`;
  }
  return out;
}
