/**
 * The character rule shared by topics and topic matchers.
 *
 * Mercure, "Terminology" and "Subscription": topics and topic matcher values MUST be valid
 * UTF-8 and MUST NOT contain C0 (U+0000–U+001F) or C1 (U+0080–U+009F) control characters or
 * U+007F (DEL), nor Unicode format characters (general category Cf: bidirectional and
 * zero-width controls, which are invisible and enable spoofing). A JavaScript string cannot hold
 * invalid UTF-8, but it can hold a lone surrogate, which has no UTF-8 encoding at all: it is
 * rejected for the same reason.
 */
export function isValidTopicText(s: string): boolean {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
    if (c > 0x7f) ascii = false;
    if (c >= 0xd800 && c <= 0xdbff) {
      // A high surrogate must be followed by a low one.
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return ascii || !FORMAT.test(s);
}

/** Unicode general category Cf (format characters), e.g. U+200B, U+202E, U+FEFF, U+E0001. */
export const FORMAT = /\p{Cf}/u;
