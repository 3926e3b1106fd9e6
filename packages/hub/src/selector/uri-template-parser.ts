/**
 * RFC 6570 URI Template syntax (section 2), up to level 4, for Mercure 0.x topic selectors.
 * Only the structure is needed (to match topics, not to expand), so the parser checks the
 * grammar strictly and keeps literals, operators and variable specs.
 */

export type Operator = '' | '+' | '#' | '.' | '/' | ';' | '?' | '&';

export interface VarSpec {
  readonly name: string;
  /** RFC 6570 §2.4.1 prefix modifier `:N` (1..9999), or 0 when absent. */
  readonly maxLength: number;
  /** RFC 6570 §2.4.2 explode modifier `*`. */
  readonly explode: boolean;
}

export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'expression'; readonly operator: Operator; readonly vars: readonly VarSpec[] };

/** Thrown for a malformed template; the caller turns it into `invalid_selector`. */
export class TemplateSyntaxError extends Error {}

const OPERATORS = new Set(['+', '#', '.', '/', ';', '?', '&']);
/** RFC 6570 §2.2 op-reserve: reserved for future extensions, so an error today. */
const RESERVED_OPERATORS = new Set(['=', ',', '!', '@', '|']);
const HEX = /^[0-9A-Fa-f]$/;

export function parseUriTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new TemplateSyntaxError(`${msg} at ${at}`);
  };
  while (i < template.length) {
    if (template[i] === '{') {
      const start = i;
      const close = template.indexOf('}', i + 1);
      if (close < 0) fail('unclosed expression', start);
      const body = template.slice(i + 1, close);
      const open = body.indexOf('{');
      if (open >= 0) fail('"{" inside an expression', i + 1 + open);
      parts.push(parseExpression(body, start + 1));
      i = close + 1;
      continue;
    }
    let text = '';
    while (i < template.length && template[i] !== '{') {
      const cp = template.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      if (ch === '%') {
        if (!HEX.test(template[i + 1] ?? '') || !HEX.test(template[i + 2] ?? ''))
          fail('bad percent-encoding');
        text += template.slice(i, i + 3);
        i += 3;
        continue;
      }
      if (ch === '}') fail('"}" outside an expression');
      if (!isLiteralChar(cp)) fail(`character ${JSON.stringify(ch)} not allowed in a template literal`);
      text += ch;
      i += ch.length;
    }
    parts.push({ kind: 'literal', text });
  }
  return parts;
}

function parseExpression(body: string, offset: number): TemplatePart {
  const fail = (msg: string, at: number): never => {
    throw new TemplateSyntaxError(`${msg} at ${offset + at}`);
  };
  if (body === '') fail('empty expression', 0);
  let operator: Operator = '';
  let rest = body;
  let at = 0;
  const first = body[0] as string;
  if (OPERATORS.has(first)) {
    operator = first as Operator;
    rest = body.slice(1);
    at = 1;
  } else if (RESERVED_OPERATORS.has(first)) {
    fail(`reserved operator "${first}"`, 0);
  }
  const vars: VarSpec[] = [];
  for (const spec of rest.split(',')) {
    vars.push(parseVarSpec(spec, (msg, i) => fail(msg, at + i)));
    at += spec.length + 1;
  }
  return { kind: 'expression', operator, vars };
}

// varspec = varname [ ":" max-length / "*" ]; varname = varchar *( ["."] varchar );
// varchar = ALPHA / DIGIT / "_" / pct-encoded; max-length = %x31-39 0*3DIGIT.
const VARSPEC =
  /^((?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*)(?::([1-9][0-9]{0,3})|(\*))?$/;

function parseVarSpec(spec: string, fail: (msg: string, at: number) => never): VarSpec {
  // The expression is at most one selector long and VARSPEC has no nested ambiguity, so this
  // JavaScript RegExp runs in linear time.
  const m = VARSPEC.exec(spec);
  if (m === null) {
    if (spec === '') return fail('empty variable name', 0);
    return fail(`bad variable spec ${JSON.stringify(spec)}`, 0);
  }
  return {
    name: m[1] as string,
    maxLength: m[2] === undefined ? 0 : Number(m[2]),
    explode: m[3] !== undefined,
  };
}

/**
 * RFC 6570 §2.1 literals: any Unicode character except CTL, SP, DQUOTE, "'", "%" (aside from
 * pct-encoded), "<", ">", "\", "^", "`", "{", "|", "}"; non-ASCII must be ucschar or iprivate.
 */
function isLiteralChar(cp: number): boolean {
  if (cp < 0x80) {
    return cp > 0x20 && cp !== 0x7f && !'"\'%<>\\^`{|}'.includes(String.fromCharCode(cp));
  }
  return (
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xffef) ||
    (cp >= 0x10000 && cp <= 0x10fffd && (cp & 0xfffe) !== 0xfffe && !(cp >= 0xe0000 && cp <= 0xe0fff))
  );
}
