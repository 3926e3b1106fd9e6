import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { HubError } from '../errors.js';
import { compileLinearRegExp, type LinearRegExp } from './linear-regexp.js';
import { DEFAULT_SELECTOR_LIMITS } from './selector.js';
import {
  checkProgramSize,
  checkVariableParts,
  regexpVariableParts,
  type SelectorCostLimits,
} from './selector-cost.js';
import { topicUrlComponents, URL_COMPONENTS, type UrlComponents } from './topic-url.js';
import {
  DEFAULT_OPTIONS,
  HOSTNAME_OPTIONS,
  PATHNAME_OPTIONS,
  type Part,
  type PartOptions,
  PatternSyntaxError,
  parsePatternString,
} from './url-pattern-parts.js';
import { partsToRe2 } from './url-pattern-regexp.js';

type Component = keyof UrlComponents;

/** How one component is checked: the cheapest of "anything", "this exact text" or RE2. */
export type ComponentMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 're2'; readonly regexp: LinearRegExp };

export interface UrlPatternMatcher {
  /** The canonical component patterns, as the URL Pattern standard serialises them. */
  readonly patterns: Readonly<Record<Component, string>>;
  readonly components: Readonly<Record<Component, ComponentMatcher>>;
  /** RE2 instructions over all components: the per-character cost bound of a match. */
  readonly programSize: number;
  /** True when the pattern was relative and resolved against the hub URL. */
  readonly relative: boolean;
  /** Pure, never throws; a topic that is not a URL (even relative to the hub) does not match. */
  matches(topic: string): boolean;
}

// URL Standard special schemes; the pathname of a pattern whose protocol can match one of them
// is split on `/` (URL Pattern standard, "protocol component matches a special scheme").
const SPECIAL_SCHEMES = ['ftp', 'file', 'http', 'https', 'ws', 'wss'];

/**
 * Compiles a Mercure `URLPattern` selector. Syntax and canonicalisation come from
 * `urlpattern-polyfill` (the standard's exact errors become `invalid_selector`); matching runs
 * on RE2 (see `linear-regexp.ts`), never on the polyfill's backtracking RegExps.
 *
 * Mercure, "URL Pattern": a relative pattern or topic is resolved against the hub's URL. An
 * absolute pattern is built without a base: the standard would otherwise graft the base's
 * path onto opaque patterns such as `urn\:uuid\:*`.
 *
 * A pattern with more ambiguous pieces than `limits.maxSelectorVariableParts`, or whose
 * components compile to more RE2 instructions than `limits.maxSelectorProgramSize` together,
 * is `invalid_selector` (selector-cost.ts).
 */
export function compileUrlPattern(
  raw: string,
  hubUrl: string,
  limits: SelectorCostLimits = DEFAULT_SELECTOR_LIMITS,
): UrlPatternMatcher {
  const { pattern, relative } = construct(raw, hubUrl);
  const patterns = {} as Record<Component, string>;
  for (const c of URL_COMPONENTS) patterns[c] = pattern[c];

  // Parse every component first: the cost caps are checked before anything is compiled.
  const protocolParts = parseComponent('protocol', patterns.protocol, DEFAULT_OPTIONS);
  const protocol = compileComponent('protocol', protocolParts, DEFAULT_OPTIONS, limits);
  const special = SPECIAL_SCHEMES.some((s) => componentMatches(protocol, s));
  const parsed = { protocol: protocolParts } as Record<Component, Part[]>;
  const optionsOf = {} as Record<Component, PartOptions>;
  let variableParts = 0;
  for (const c of URL_COMPONENTS) {
    optionsOf[c] =
      c === 'hostname' ? HOSTNAME_OPTIONS : c === 'pathname' && special ? PATHNAME_OPTIONS : DEFAULT_OPTIONS;
    if (c !== 'protocol') parsed[c] = parseComponent(c, patterns[c], optionsOf[c]);
    if (!isAnything(parsed[c])) for (const part of parsed[c]) variableParts += partCost(part);
  }
  checkVariableParts(variableParts, limits, 'URL pattern');
  const components = { protocol } as Record<Component, ComponentMatcher>;
  let programSize = protocol.kind === 're2' ? protocol.regexp.programSize : 0;
  for (const c of URL_COMPONENTS) {
    if (c === 'protocol') continue;
    const m = compileComponent(c, parsed[c], optionsOf[c], limits);
    if (m.kind === 're2') programSize += m.regexp.programSize;
    components[c] = m;
  }
  checkProgramSize(programSize, limits, 'URL pattern');

  // Most selective components first: a topic on another path usually fails at pathname.
  const order: Component[] = [
    'pathname',
    'hostname',
    'protocol',
    'search',
    'hash',
    'port',
    'username',
    'password',
  ];
  const checks = order.filter((c) => components[c].kind !== 'any');
  return {
    patterns,
    components,
    programSize,
    relative,
    matches(topic: string): boolean {
      const input = topicUrlComponents(topic, hubUrl);
      if (input === null) return false;
      for (const c of checks) if (!componentMatches(components[c], input[c])) return false;
      return true;
    },
  };
}

function construct(raw: string, hubUrl: string): { pattern: URLPattern; relative: boolean } {
  try {
    return { pattern: new URLPattern(raw), relative: false };
  } catch (err) {
    // The polyfill's error for a constructor string without a scheme; any other error is final.
    if (!(err instanceof Error) || !/base URL must be provided/i.test(err.message)) throw invalid(err);
  }
  try {
    return { pattern: new URLPattern(raw, hubUrl), relative: true };
  } catch (err) {
    throw invalid(err);
  }
}

function parseComponent(component: Component, pattern: string, options: PartOptions): Part[] {
  try {
    return parsePatternString(pattern, options);
  } catch (err) {
    // The polyfill accepted the pattern, so this is a disagreement between it and our parser.
    if (err instanceof PatternSyntaxError)
      throw invalid(new Error(`${component} '${pattern}': ${err.message}`));
    throw err;
  }
}

/** A lone `*`: JavaScript's `.*`, which any URL component matches (they hold no line breaks). */
function isAnything(parts: readonly Part[]): boolean {
  return parts.length === 1 && parts[0]?.type === 'full-wildcard' && parts[0].modifier === '';
}

function partCost(part: Part): number {
  if (part.type === 'fixed') return part.modifier === '' ? 0 : 1;
  return part.type === 'regexp' ? 1 + regexpVariableParts(part.value) : 1;
}

function compileComponent(
  component: Component,
  parts: readonly Part[],
  options: PartOptions,
  limits: SelectorCostLimits,
): ComponentMatcher {
  if (isAnything(parts)) return { kind: 'any' };
  if (parts.every((p) => p.type === 'fixed' && p.modifier === '')) {
    return { kind: 'literal', text: parts.map((p) => p.value).join('') };
  }
  return {
    kind: 're2',
    regexp: compileLinearRegExp(partsToRe2(parts, options), limits, `URL pattern ${component}`),
  };
}

function componentMatches(m: ComponentMatcher, input: string): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'literal':
      return input === m.text;
    case 're2':
      return m.regexp.test(input);
  }
}

function invalid(err: unknown): HubError {
  const reason = (err instanceof Error ? err.message : String(err)).replace(/[\r\n]+/g, ' ');
  return new HubError('invalid_selector', `invalid URL pattern: ${reason}`);
}
