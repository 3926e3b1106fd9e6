import { HubError } from '../errors.js';
import { DEFAULT_SELECTOR_LIMITS, type MatchType, type Selector, type SelectorLimits } from './selector.js';
import { isValidTopicText } from './topic-text.js';
import { compileUriTemplate } from './uri-template-matcher.js';
import { compileUrlPattern } from './url-pattern-matcher.js';

/** Compiled selectors kept per limits object (one per hub), most recently used last. */
const CACHE_SIZE = 1024;
/** Longer selectors are compiled each time: they are rare, and would make the cache large. */
const MAX_CACHED_LENGTH = 512;
const caches = new WeakMap<SelectorLimits, Map<string, Selector>>();

/**
 * Compiles a topic selector, or returns the same (frozen) Selector compiled earlier for the
 * same type, text and limits. Thousands of subscribers to one topic then share one selector
 * (its closure, its text) instead of holding a copy each; a bounded LRU keeps it from growing
 * with one-off selectors. A selector that does not compile is never cached: it throws each time.
 */
export function compileSelector(
  type: MatchType,
  raw: string,
  limits: SelectorLimits = DEFAULT_SELECTOR_LIMITS,
): Selector {
  if (raw.length > MAX_CACHED_LENGTH) return compile(type, raw, limits);
  let cache = caches.get(limits);
  if (cache === undefined) {
    cache = new Map();
    caches.set(limits, cache);
  }
  // No valid selector contains a control character, so the key is unambiguous.
  const key = `${type}\n${raw}`;
  let selector = cache.get(key);
  if (selector !== undefined) {
    cache.delete(key);
  } else {
    selector = Object.freeze(compile(type, raw, limits));
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, selector);
  return selector;
}

/**
 * Compiles a topic selector (Mercure, "Matcher Types"; `URITemplate` for the 0.x dialect).
 * Throws `invalid_selector` for anything empty, too long, containing control characters,
 * malformed, or too costly to match (`limits.maxSelectorProgramSize`, `limits.maxSelectorVariableParts`:
 * selector-cost.ts); the returned `matches` is pure, never throws, and runs in time linear in the
 * topic (RE2 for patterns, string comparison otherwise).
 */
function compile(type: MatchType, raw: string, limits: SelectorLimits): Selector {
  if (raw.length > limits.maxSelectorLength) {
    throw new HubError('invalid_selector', `selector longer than ${limits.maxSelectorLength} characters`);
  }
  if (raw === '') throw new HubError('invalid_selector', 'empty selector');
  // Mercure, "Subscription": matcher values MUST NOT contain C0/C1 controls or DEL.
  if (!isValidTopicText(raw)) {
    throw new HubError('invalid_selector', 'selector contains a control character or a lone surrogate');
  }
  // Mercure, "Matcher Types": `*` is recognised before the matcher type, whatever the type.
  if (raw === '*') return { type, raw, wildcard: true, exact: true, matches: () => true };

  switch (type) {
    case 'exact':
      // Byte-for-byte: no resolution, no normalisation (Mercure, "Exact Matching").
      return exactSelector(type, raw);
    case 'urlpattern': {
      const pattern = compileUrlPattern(raw, limits.hubUrl, limits);
      return { type, raw, wildcard: false, exact: false, matches: (topic) => safely(pattern.matches, topic) };
    }
    case 'uritemplate': {
      // 0.x: a selector without an expression is compared as an exact topic.
      if (!raw.includes('{')) return exactSelector(type, raw);
      const template = compileUriTemplate(raw, limits);
      return {
        type,
        raw,
        wildcard: false,
        exact: false,
        matches: (topic) => safely(template.matches, topic),
      };
    }
    default:
      throw new HubError('invalid_selector', `unknown matcher type ${JSON.stringify(String(type))}`);
  }
}

function exactSelector(type: MatchType, raw: string): Selector {
  return { type, raw, wildcard: false, exact: true, matches: (topic) => topic === raw };
}

function safely(matches: (topic: string) => boolean, topic: string): boolean {
  try {
    return typeof topic === 'string' && matches(topic);
  } catch {
    return false;
  }
}
