// TEMPORARY: Exact and `*` only, until URL Pattern and URI Template matchers land.
import { HubError } from '../errors.js';
import { DEFAULT_SELECTOR_LIMITS, type MatchType, type Selector, type SelectorLimits } from './selector.js';

export function compileSelector(
  type: MatchType,
  raw: string,
  limits: SelectorLimits = DEFAULT_SELECTOR_LIMITS,
): Selector {
  if (raw.length > limits.maxSelectorLength) throw new HubError('invalid_selector', 'selector too long');
  if (raw === '*') return { type, raw, wildcard: true, exact: true, matches: () => true };
  if (type !== 'Exact') throw new HubError('invalid_selector', `${type} not supported yet`);
  return { type, raw, wildcard: false, exact: true, matches: (t) => t === raw };
}
