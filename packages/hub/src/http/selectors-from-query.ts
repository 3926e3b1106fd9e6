import { HubError } from '../errors.js';
import { compileSelector } from '../pubsub/compile-selector.js';
import type { MatchType, Selector, SelectorLimits } from '../pubsub/selector.js';

/**
 * Subscribe query parameters -> selectors.
 * Current dialect (Mercure "Subscription"): `match` / `matchExact` (Exact), `matchURLPattern`
 * (also spelled `match_urlpattern`). Any other parameter in the `match` namespace is a 400,
 * so a misspelled matcher fails loudly. 0.x dialect: `topic` (URI template or exact topic).
 */
const PARAMS: Record<string, MatchType> = {
  match: 'Exact',
  matchExact: 'Exact',
  matchURLPattern: 'URLPattern',
  match_urlpattern: 'URLPattern',
  topic: 'URITemplate',
};

export function selectorsFromQuery(
  params: URLSearchParams,
  maxSelectors: number,
  limits: SelectorLimits,
): Selector[] {
  const seen = new Set<string>();
  const selectors: Selector[] = [];
  for (const [name, value] of params) {
    const type = Object.hasOwn(PARAMS, name) ? PARAMS[name] : undefined;
    if (type === undefined) {
      if (name.toLowerCase().startsWith('match')) {
        throw new HubError('unknown_match_parameter', `unknown parameter "${name.slice(0, 64)}"`);
      }
      continue;
    }
    const key = `${type}\n${value}`;
    if (seen.has(key)) continue; // Mercure: hubs MAY deduplicate identical subscriptions.
    seen.add(key);
    if (selectors.length >= maxSelectors) {
      throw new HubError('too_many_selectors', `at most ${maxSelectors} selectors per subscription`);
    }
    selectors.push(compileSelector(type, value, limits));
  }
  if (selectors.length === 0) throw new HubError('missing_selector');
  return selectors;
}
