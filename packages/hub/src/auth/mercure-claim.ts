import type { Selector, SelectorLimits } from '../selector/selector.js';
import type { AuthLimits } from './auth-options.js';
import { invalidToken } from './invalid-token.js';
import { compileTokenSelector, isPlainObject, NO_RIGHTS, type Rights } from './rights.js';

/**
 * The rights of a 0.x token, from its `mercure` claim: `{publish?: string[], subscribe?:
 * string[], payload?: unknown}`. Selectors are exact topics, `*`, or RFC 6570 URI templates, all
 * compiled as `URITemplate` (a template without expressions matches itself). A missing or null
 * list grants nothing; anything else that is not an array of non-empty strings rejects the token.
 * In 0.x the payload belongs to every subscription of the token, hence a `*` PayloadGrant.
 */
export function rightsFromMercureClaim(
  value: unknown,
  limits: AuthLimits,
  selectorLimits: SelectorLimits,
): Rights {
  if (value === undefined) return NO_RIGHTS;
  if (!isPlainObject(value)) throw invalidToken('mercure claim is not an object');
  const publish = parseList(value['publish'], 'mercure.publish', limits, selectorLimits);
  const subscribe = parseList(value['subscribe'], 'mercure.subscribe', limits, selectorLimits);
  const payload = value['payload'];
  const payloads =
    payload === undefined
      ? []
      : [
          {
            selectors: [compileTokenSelector('uritemplate', '*', selectorLimits, 'mercure.payload')],
            payload,
          },
        ];
  return { publish, subscribe, payloads };
}

function parseList(
  value: unknown,
  where: string,
  limits: AuthLimits,
  selectorLimits: SelectorLimits,
): Selector[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidToken(`${where} is not an array`);
  if (value.length > limits.maxLegacySelectors) {
    throw invalidToken(`${where} has more than ${limits.maxLegacySelectors} entries`);
  }
  return value.map((raw, i) => compileTokenSelector('uritemplate', raw, selectorLimits, `${where}[${i}]`));
}
