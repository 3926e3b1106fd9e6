import { HubError } from '../errors.js';
import { compileSelector } from '../selector/compile-selector.js';
import type { MatchType, Selector, SelectorLimits } from '../selector/selector.js';

/**
 * Subscribe parameters -> selectors.
 * Current dialect (Mercure "Subscription"): `match` and `match_exact` (exact), `match_urlpattern`
 * (urlpattern); names are case-sensitive. Any other name in the reserved `match` namespace
 * (equal to or beginning with `match`, case-insensitively) is a 400, so a misspelled or
 * unsupported matcher type fails loudly; that includes `matchExact` and `matchURLPattern` of an
 * earlier revision. 0.x dialect: `topic` (URI template or exact topic).
 */
const PARAMS: Record<string, MatchType> = {
  match: 'exact',
  match_exact: 'exact',
  match_urlpattern: 'urlpattern',
  topic: 'uritemplate',
};

/** A selector as asked for, not compiled yet. */
export interface SelectorRequest {
  readonly type: MatchType;
  readonly raw: string;
}

/**
 * The selectors a query asks for, deduplicated, without compiling them: the cheap checks
 * (unknown matcher, count) come first, so a request refused for its token or the caps never
 * costs the compilation of its patterns (issue 10).
 */
export function selectorRequests(
  params: Iterable<readonly [string, string]>,
  maxSelectors: number,
): SelectorRequest[] {
  const seen = new Set<string>();
  const requests: SelectorRequest[] = [];
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
    if (requests.length >= maxSelectors) {
      throw new HubError('too_many_selectors', `at most ${maxSelectors} selectors per subscription`);
    }
    requests.push({ type, raw: value });
  }
  if (requests.length === 0) throw new HubError('missing_selector');
  return requests;
}

/**
 * Whether a selector is matched by evaluation (a URL pattern, or a 0.x URI template with an
 * expression), not by a map lookup: the rule of `compileSelector`, without compiling.
 */
export function isPattern(request: SelectorRequest): boolean {
  if (request.raw === '*') return false;
  return request.type === 'urlpattern' || (request.type === 'uritemplate' && request.raw.includes('{'));
}

export function compileSelectors(requests: readonly SelectorRequest[], limits: SelectorLimits): Selector[] {
  return requests.map((r) => compileSelector(r.type, r.raw, limits));
}

/**
 * The selectors of an in-process subscription (Hub.subscribe): a string or strings are `match`
 * values (exact topics, `*` for all); a URLSearchParams may use every matcher of both dialects.
 */
export function localSelectors(
  selectors: string | readonly string[] | URLSearchParams,
  maxSelectors: number,
  limits: SelectorLimits,
): Selector[] {
  const params =
    selectors instanceof URLSearchParams
      ? selectors
      : new URLSearchParams(
          (typeof selectors === 'string' ? [selectors] : selectors).map((t): [string, string] => [
            'match',
            t,
          ]),
        );
  return compileSelectors(selectorRequests(params, maxSelectors), limits);
}
