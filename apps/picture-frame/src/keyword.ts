import { FrameError } from './errors.js';

/** The longest search term accepted, in characters (Unicode code points), after trimming. */
export const DEFAULT_MAX_KEYWORD_LENGTH = 64;

/**
 * Normalises a search term (NFC, trimmed, inner whitespace collapsed) or throws a FrameError:
 * invalid_keyword when it is empty, not a string or has control characters; keyword_too_long.
 */
export function parseKeyword(value: unknown, maxLength = DEFAULT_MAX_KEYWORD_LENGTH): string {
  if (typeof value !== 'string') throw new FrameError('invalid_keyword', 'Type a word to search for.');
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u2028\u2029]/.test(value)) {
    throw new FrameError('invalid_keyword', 'The search term must be plain text.');
  }
  const k = value.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (k.length === 0) throw new FrameError('invalid_keyword', 'Type a word to search for.');
  if ([...k].length > maxLength) {
    throw new FrameError('keyword_too_long', `Search terms are at most ${maxLength} characters.`);
  }
  return k;
}
