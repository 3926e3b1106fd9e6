import { HubError } from '../errors.js';
import { compileLinearRegExp, type LinearRegExp, quoteRe2 } from './linear-regexp.js';
import { DEFAULT_SELECTOR_LIMITS } from './selector.js';
import { checkVariableParts, type SelectorCostLimits } from './selector-cost.js';
import { type Operator, parseUriTemplate, TemplateSyntaxError, type VarSpec } from './uri-template-parser.js';

export interface UriTemplateMatcher {
  /** The RE2 program the template compiles to. */
  readonly regexp: LinearRegExp;
  /** Pure, never throws. */
  matches(topic: string): boolean;
}

/**
 * Compiles a Mercure 0.x `URITemplate` selector (the `topic` subscribe parameter and the 0.x
 * `mercure` JWT claim): a topic matches when some expansion of the RFC 6570 template could
 * produce it, byte for byte (no URL resolution, as in 0.x).
 *
 * Like the 0.x reference hub, each expression becomes a regular expression over the characters
 * its operator may emit (RFC 6570 §3.2.1: unreserved and pct-encoded, plus reserved for `+` and
 * `#`), optional as a whole since every variable may be undefined (§2.3). Differences, all on the
 * strict side: named operators (`;`, `?`, `&`) must spell the template's variable names, and
 * positional lists (`{/a,b}`) hold at most as many items as variables unless exploded. Prefix
 * modifiers (`{var:3}`) are not length-checked: the limit applies to characters before
 * percent-encoding. The expression runs on RE2, so matching is linear-time; a template with more
 * variables than `limits.maxSelectorVariableParts`, or a larger program than
 * `limits.maxSelectorProgramSize`, is `invalid_selector` (selector-cost.ts).
 */
export function compileUriTemplate(
  raw: string,
  limits: SelectorCostLimits = DEFAULT_SELECTOR_LIMITS,
): UriTemplateMatcher {
  let parts: ReturnType<typeof parseUriTemplate>;
  try {
    parts = parseUriTemplate(raw);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) {
      throw new HubError('invalid_selector', `invalid URI template: ${err.message}`);
    }
    throw err;
  }
  let variables = 0;
  for (const part of parts) if (part.kind === 'expression') variables += part.vars.length;
  checkVariableParts(variables, limits, 'URI template');
  let source = '^';
  for (const part of parts) {
    source += part.kind === 'literal' ? quoteRe2(part.text) : expressionToRe2(part.operator, part.vars);
  }
  source += '$';
  const regexp = compileLinearRegExp(source, limits, 'URI template');
  return { regexp, matches: (topic) => regexp.test(topic) };
}

const PCT = '%[0-9A-Fa-f][0-9A-Fa-f]';
const UNRESERVED = 'A-Za-z0-9\\-\\._~';
const RESERVED = ":/?#\\[\\]@!$&'()*+,;=";

/** Zero or more characters an expansion may emit: `extra` adds to the unreserved set. */
function chars(extra: string, reserved: boolean): string {
  return `(?:[${UNRESERVED}${reserved ? RESERVED : extra}]|${PCT})*`;
}

interface OperatorSpec {
  readonly first: string;
  readonly sep: string;
  readonly named: boolean;
  /** What `name` is followed by when the value is empty (RFC 6570 appendix A "ifemp"). */
  readonly ifEmpty: '' | '=';
  readonly reserved: boolean;
}

// RFC 6570 appendix A, "Implementation Hints", table of operator behaviour.
const OPERATORS: Record<Operator, OperatorSpec> = {
  '': { first: '', sep: ',', named: false, ifEmpty: '', reserved: false },
  '+': { first: '', sep: ',', named: false, ifEmpty: '', reserved: true },
  '#': { first: '#', sep: ',', named: false, ifEmpty: '', reserved: true },
  '.': { first: '.', sep: '.', named: false, ifEmpty: '', reserved: false },
  '/': { first: '/', sep: '/', named: false, ifEmpty: '', reserved: false },
  ';': { first: ';', sep: ';', named: true, ifEmpty: '', reserved: false },
  '?': { first: '?', sep: '&', named: true, ifEmpty: '=', reserved: false },
  '&': { first: '&', sep: '&', named: true, ifEmpty: '=', reserved: false },
};

/** RE2 counted repetition stops at 1000; longer variable lists repeat without a bound. */
const MAX_COUNTED_REPEAT = 1000;

function expressionToRe2(operator: Operator, vars: readonly VarSpec[]): string {
  const op = OPERATORS[operator];
  const exploded = vars.some((v) => v.explode);
  // A list value joins its items with ","; an exploded associative array joins "key=value"
  // pairs with the separator, so "=" appears in values only then.
  const value = chars(exploded ? ',=' : ',', op.reserved);
  let item: string;
  if (op.named) {
    const alternatives: string[] = [];
    const names = vars.filter((v) => !v.explode).map((v) => quoteRe2(v.name));
    if (names.length > 0) {
      const name = `(?:${names.join('|')})`;
      const plain = chars(',', false);
      alternatives.push(op.ifEmpty === '=' ? `${name}=${plain}` : `${name}(?:=${plain})?`);
    }
    if (exploded) {
      // Exploded pairs name their own keys (a list's name, or an associative array's keys).
      const key = chars('', false);
      const plain = chars(',', false);
      alternatives.push(op.ifEmpty === '=' ? `${key}=${plain}` : `${key}(?:=${plain})?`);
    }
    item = `(?:${alternatives.join('|')})`;
    return `(?:${quoteRe2(op.first)}${item}(?:${quoteRe2(op.sep)}${item})*)?`;
  }
  item = value;
  let more = '';
  if (exploded || vars.length - 1 > MAX_COUNTED_REPEAT) more = `(?:${quoteRe2(op.sep)}${item})*`;
  else if (vars.length > 1) more = `(?:${quoteRe2(op.sep)}${item}){0,${vars.length - 1}}`;
  return `(?:${quoteRe2(op.first)}${item}${more})?`;
}
