/**
 * The part list of one URL Pattern component, per the URL Pattern Living Standard, "Parsing
 * pattern strings" (tokenizer with the strict policy, then the pattern parser).
 *
 * Tidings lets `urlpattern-polyfill` validate and canonicalise a pattern (its constructor gives
 * the standard's exact errors), but the polyfill keeps its compiled JavaScript RegExps private
 * and would run them on the backtracking engine. So the canonical component pattern strings it
 * exposes (`pattern.pathname`, ...) are parsed again here, and `url-pattern-regexp.ts` turns
 * the parts into RE2 expressions. Canonical strings are already encoded, so no encoding
 * callback is applied.
 */

export type PartType = 'fixed' | 'regexp' | 'segment-wildcard' | 'full-wildcard';
export type PartModifier = '' | '?' | '*' | '+';

export interface Part {
  readonly type: PartType;
  /** Fixed text for `fixed`, the (JavaScript-syntax) expression for `regexp`, else empty. */
  readonly value: string;
  readonly modifier: PartModifier;
  readonly name: string;
  readonly prefix: string;
  readonly suffix: string;
}

/** The standard's per-component options ("options" struct; ignore case is never set by Mercure). */
export interface PartOptions {
  /** The delimiter code point a segment wildcard (`:name`) stops at, or '' for none. */
  readonly delimiter: string;
  /** The prefix code point that a named group absorbs (`/` in `/:id`), or ''. */
  readonly prefix: string;
}

export const DEFAULT_OPTIONS: PartOptions = { delimiter: '', prefix: '' };
export const HOSTNAME_OPTIONS: PartOptions = { delimiter: '.', prefix: '' };
export const PATHNAME_OPTIONS: PartOptions = { delimiter: '/', prefix: '/' };

/** Thrown for a malformed pattern string; the caller turns it into `invalid_selector`. */
export class PatternSyntaxError extends Error {}

type TokenType =
  | 'open'
  | 'close'
  | 'regexp'
  | 'name'
  | 'char'
  | 'escaped-char'
  | 'other-modifier'
  | 'asterisk'
  | 'end';

interface Token {
  readonly type: TokenType;
  readonly index: number;
  readonly value: string;
}

const ID_START = /^[$_\p{ID_Start}]$/u;
const ID_CONTINUE = /^[$_\p{ID_Continue}]$/u;
const isIdPart = (c: string): boolean => c === '\u200C' || c === '\u200D' || ID_CONTINUE.test(c);

/** "Tokenize" with the strict policy: every invalid input is an error. */
export function tokenize(input: string): Token[] {
  const cps = Array.from(input);
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new PatternSyntaxError(`${msg} at ${i}`);
  };
  while (i < cps.length) {
    const c = cps[i] as string;
    if (c === '*') {
      tokens.push({ type: 'asterisk', index: i, value: c });
      i++;
    } else if (c === '+' || c === '?') {
      tokens.push({ type: 'other-modifier', index: i, value: c });
      i++;
    } else if (c === '\\') {
      if (i === cps.length - 1) fail('trailing backslash');
      tokens.push({ type: 'escaped-char', index: i, value: cps[i + 1] as string });
      i += 2;
    } else if (c === '{') {
      tokens.push({ type: 'open', index: i, value: c });
      i++;
    } else if (c === '}') {
      tokens.push({ type: 'close', index: i, value: c });
      i++;
    } else if (c === ':') {
      let j = i + 1;
      while (j < cps.length && (j === i + 1 ? ID_START.test(cps[j] as string) : isIdPart(cps[j] as string)))
        j++;
      if (j === i + 1) fail('missing parameter name');
      tokens.push({ type: 'name', index: i, value: cps.slice(i + 1, j).join('') });
      i = j;
    } else if (c === '(') {
      let depth = 1;
      let j = i + 1;
      let value = '';
      if (cps[j] === '?') fail('regexp group cannot start with "?"');
      while (j < cps.length) {
        const r = cps[j] as string;
        if (!isAscii(r)) fail('non-ASCII character in regexp group');
        if (r === '\\') {
          if (j === cps.length - 1 || !isAscii(cps[j + 1] as string)) fail('bad escape in regexp group');
          value += r + cps[j + 1];
          j += 2;
          continue;
        }
        if (r === ')') {
          depth--;
          if (depth === 0) {
            j++;
            break;
          }
        } else if (r === '(') {
          depth++;
          if (j === cps.length - 1 || cps[j + 1] !== '?') fail('capturing groups are not allowed');
        }
        value += r;
        j++;
      }
      if (depth !== 0) fail('unbalanced regexp group');
      if (value === '') fail('empty regexp group');
      tokens.push({ type: 'regexp', index: i, value });
      i = j;
    } else {
      tokens.push({ type: 'char', index: i, value: c });
      i++;
    }
  }
  tokens.push({ type: 'end', index: i, value: '' });
  return tokens;
}

function isAscii(c: string): boolean {
  return c.charCodeAt(0) <= 0x7f;
}

/** "Parse a pattern string" (without encoding: the input is a canonical component pattern). */
export function parsePatternString(input: string, options: PartOptions): Part[] {
  const tokens = tokenize(input);
  const parts: Part[] = [];
  const names = new Set<string>();
  let pending = '';
  let index = 0;
  let nextNumericName = 0;

  const tryConsume = (type: TokenType): Token | null => {
    const t = tokens[index] as Token;
    if (t.type !== type) return null;
    index++;
    return t;
  };
  const consumeRequired = (type: TokenType): Token => {
    const t = tryConsume(type);
    if (t === null) {
      const got = tokens[index] as Token;
      throw new PatternSyntaxError(`unexpected ${got.type} at ${got.index}, expected ${type}`);
    }
    return t;
  };
  const tryConsumeModifier = (): Token | null => tryConsume('other-modifier') ?? tryConsume('asterisk');
  const tryConsumeRegexpOrWildcard = (name: Token | null): Token | null => {
    const t = tryConsume('regexp');
    return t === null && name === null ? tryConsume('asterisk') : t;
  };
  const consumeText = (): string => {
    let text = '';
    for (;;) {
      const t = tryConsume('char') ?? tryConsume('escaped-char');
      if (t === null) return text;
      text += t.value;
    }
  };
  const flushPending = (): void => {
    if (pending === '') return;
    parts.push({ type: 'fixed', value: pending, modifier: '', name: '', prefix: '', suffix: '' });
    pending = '';
  };
  const addPart = (
    prefix: string,
    nameToken: Token | null,
    regexpOrWildcard: Token | null,
    suffix: string,
    modifierToken: Token | null,
  ): void => {
    const modifier = (modifierToken?.value ?? '') as PartModifier;
    if (nameToken === null && regexpOrWildcard === null && modifier === '') {
      pending += prefix;
      return;
    }
    flushPending();
    if (nameToken === null && regexpOrWildcard === null) {
      if (prefix === '') return;
      parts.push({ type: 'fixed', value: prefix, modifier, name: '', prefix: '', suffix: '' });
      return;
    }
    let type: PartType = 'regexp';
    let value = '';
    if (regexpOrWildcard === null) type = 'segment-wildcard';
    else if (regexpOrWildcard.type === 'asterisk') type = 'full-wildcard';
    else value = regexpOrWildcard.value;
    // An explicit `(.*)` is the full wildcard in the standard; the segment wildcard's own regexp
    // spelling is also folded, so both compile to our RE2 equivalents.
    if (type === 'regexp' && value === '.*') {
      type = 'full-wildcard';
      value = '';
    } else if (type === 'regexp' && value === segmentWildcardJs(options)) {
      type = 'segment-wildcard';
      value = '';
    }
    let name: string;
    if (nameToken !== null) name = nameToken.value;
    else name = String(nextNumericName++);
    if (names.has(name)) throw new PatternSyntaxError(`duplicate name '${name}'`);
    names.add(name);
    parts.push({ type, value, modifier, name, prefix, suffix });
  };

  while (index < tokens.length) {
    const charToken = tryConsume('char');
    const nameToken = tryConsume('name');
    const regexpOrWildcard = tryConsumeRegexpOrWildcard(nameToken);
    if (nameToken !== null || regexpOrWildcard !== null) {
      let prefix = charToken?.value ?? '';
      if (prefix !== '' && prefix !== options.prefix) {
        pending += prefix;
        prefix = '';
      }
      flushPending();
      addPart(prefix, nameToken, regexpOrWildcard, '', tryConsumeModifier());
      continue;
    }
    const fixed = charToken ?? tryConsume('escaped-char');
    if (fixed !== null) {
      pending += fixed.value;
      continue;
    }
    if (tryConsume('open') !== null) {
      const prefix = consumeText();
      const innerName = tryConsume('name');
      const innerRegexp = tryConsumeRegexpOrWildcard(innerName);
      const suffix = consumeText();
      consumeRequired('close');
      addPart(prefix, innerName, innerRegexp, suffix, tryConsumeModifier());
      continue;
    }
    flushPending();
    consumeRequired('end');
  }
  return parts;
}

/** The standard's segment wildcard regexp in JavaScript syntax, to recognise it when spelled out. */
function segmentWildcardJs(options: PartOptions): string {
  return `[^${escapeJsRegexp(options.delimiter)}]+?`;
}

function escapeJsRegexp(s: string): string {
  return s.replace(/[.+*?^${}()[\]|/\\]/g, '\\$&');
}
