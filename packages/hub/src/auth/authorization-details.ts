import type { MatchType, Selector, SelectorLimits } from '../selector/selector.js';
import type { AuthLimits } from './auth-options.js';
import { invalidToken } from './invalid-token.js';
import type { PayloadGrant } from './principal.js';
import { compileTokenSelector, isPlainObject, NO_RIGHTS, type Rights } from './rights.js';

/** The Mercure authorization detail type (Mercure "Authorization Details"), compared byte by byte. */
export const MERCURE_DETAIL_TYPE = 'https://mercure.rocks/authorization-detail';
/** `match_type` values of a topic matcher object (Mercure "Topic Matcher List"); case-sensitive. */
const MATCH_TYPES: ReadonlySet<string> = new Set<MatchType>(['exact', 'urlpattern']);

/**
 * The rights of an at+jwt token, from its RFC 9396 `authorization_details` claim (Mercure
 * "Authorization Details"). Entries of another `type` are ignored. A Mercure entry that is
 * malformed in any way, or any limit exceeded, rejects the whole token: partial acceptance is
 * forbidden because it would silently change what the token grants. Unrecognised action names
 * are ignored (they grant nothing), but a non-string action is malformed.
 *
 * Every `subscribe` entry becomes a PayloadGrant, with or without a payload, in token order, so
 * that "the first subscribe detail whose topics match" (Mercure "Payloads") is found by a scan.
 */
export function rightsFromAuthorizationDetails(
  value: unknown,
  limits: AuthLimits,
  selectorLimits: SelectorLimits,
): Rights {
  if (value === undefined) return NO_RIGHTS;
  if (!Array.isArray(value)) throw invalidToken('authorization_details is not an array');
  const publish: Selector[] = [];
  const subscribe: Selector[] = [];
  const payloads: PayloadGrant[] = [];
  let mercureDetails = 0;
  for (const [i, detail] of value.entries()) {
    const where = `authorization_details[${i}]`;
    // RFC 9396 section 2: every entry is an object with a string `type`, whatever its type.
    if (!isPlainObject(detail) || typeof detail['type'] !== 'string') {
      throw invalidToken(`${where} is not an object with a string type`);
    }
    if (detail['type'] !== MERCURE_DETAIL_TYPE) continue;
    if (++mercureDetails > limits.maxAuthorizationDetails) {
      throw invalidToken(`more than ${limits.maxAuthorizationDetails} Mercure authorization details`);
    }
    const actions = parseActions(detail['actions'], where);
    const selectors = parseTopics(detail['topics'], `${where}.topics`, limits, selectorLimits);
    const payload = detail['payload'];
    if (payload !== undefined && !isPlainObject(payload))
      throw invalidToken(`${where}.payload is not an object`);
    if (actions.has('publish')) publish.push(...selectors);
    if (actions.has('subscribe')) {
      subscribe.push(...selectors);
      payloads.push({ selectors, payload });
    }
  }
  return { publish, subscribe, payloads };
}

/** A non-empty array of strings; names other than publish and subscribe are kept but grant nothing. */
function parseActions(value: unknown, where: string): ReadonlySet<string> {
  if (!Array.isArray(value) || value.length === 0)
    throw invalidToken(`${where}.actions is not a non-empty array`);
  for (const action of value) {
    if (typeof action !== 'string') throw invalidToken(`${where}.actions has a non-string entry`);
  }
  return new Set(value as string[]);
}

function parseTopics(
  value: unknown,
  where: string,
  limits: AuthLimits,
  selectorLimits: SelectorLimits,
): Selector[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidToken(`${where} is not a non-empty array`);
  if (value.length > limits.maxTopicsPerDetail) {
    throw invalidToken(`${where} has more than ${limits.maxTopicsPerDetail} entries`);
  }
  return value.map((topic, j) => {
    const at = `${where}[${j}]`;
    if (!isPlainObject(topic)) throw invalidToken(`${at} is not an object`);
    // Only a missing key defaults to exact; `null` or any other value is malformed.
    const declared = topic['match_type'];
    if ('match_type' in topic && (typeof declared !== 'string' || !MATCH_TYPES.has(declared))) {
      throw invalidToken(`${at}.match_type is not exact or urlpattern`);
    }
    const matchType = ('match_type' in topic ? declared : 'exact') as MatchType;
    return compileTokenSelector(matchType, topic['match'], selectorLimits, `${at}.match`);
  });
}
