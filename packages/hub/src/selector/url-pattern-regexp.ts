import { quoteRe2 } from './linear-regexp.js';
import type { Part, PartOptions } from './url-pattern-parts.js';

/**
 * URL Pattern Living Standard, "generate a regular expression and name list", written for RE2
 * instead of JavaScript: groups are non-capturing (only a yes/no answer is needed), literal text
 * is quoted for RE2, and the two built-in wildcards are spelled so that RE2 accepts them and
 * they mean what the JavaScript `u`-flag expressions mean:
 *   - segment wildcard `[^<delimiter>]+?` (with no delimiter, JavaScript's `[^]+?`: any code point);
 *   - full wildcard `.*`, where JavaScript's `.` excludes the four line terminators.
 * Custom regexp groups (`:id(\d+)`) are copied as written; RE2 refuses the JavaScript-only
 * syntax (lookaround, back-references, `\u` escapes...), and the selector is then rejected.
 * Matching is case-sensitive: Mercure forbids the `ignoreCase` option.
 */
export function partsToRe2(parts: readonly Part[], options: PartOptions): string {
  const segment = options.delimiter === '' ? '(?s:.)+?' : `[^${quoteRe2(options.delimiter)}]+?`;
  let out = '^';
  for (const part of parts) {
    if (part.type === 'fixed') {
      out += part.modifier === '' ? quoteRe2(part.value) : `(?:${quoteRe2(part.value)})${part.modifier}`;
      continue;
    }
    const value =
      part.type === 'segment-wildcard'
        ? segment
        : part.type === 'full-wildcard'
          ? FULL_WILDCARD
          : `(?:${part.value})`;
    const optionalOrNone = part.modifier === '' || part.modifier === '?';
    if (part.prefix === '' && part.suffix === '') {
      out += optionalOrNone ? `(?:${value})${part.modifier}` : `(?:(?:${value})${part.modifier})`;
      continue;
    }
    const prefix = quoteRe2(part.prefix);
    const suffix = quoteRe2(part.suffix);
    if (optionalOrNone) {
      out += `(?:${prefix}(?:${value})${suffix})${part.modifier}`;
      continue;
    }
    out += `(?:${prefix}(?:(?:${value})(?:${suffix}${prefix}(?:${value}))*)${suffix})`;
    if (part.modifier === '*') out += '?';
  }
  return out + '$';
}

/** JavaScript's `.*` (without the `s` flag): anything but LF, CR, U+2028 and U+2029. */
const FULL_WILDCARD = '[^\\n\\r\\x{2028}\\x{2029}]*';
