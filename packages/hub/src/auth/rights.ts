import { isHubError } from '../errors.js';
import { compileSelector } from '../selector/compile-selector.js';
import type { MatchType, Selector, SelectorLimits } from '../selector/selector.js';
import { invalidToken } from './invalid-token.js';
import type { PayloadGrant } from './principal.js';

/** What a token's claims grant, before it becomes a Principal. */
export interface Rights {
  readonly publish: readonly Selector[];
  readonly subscribe: readonly Selector[];
  readonly payloads: readonly PayloadGrant[];
}

export const NO_RIGHTS: Rights = Object.freeze({ publish: [], subscribe: [], payloads: [] });

/** C0, DEL and C1 controls are forbidden in topics and matchers (Mercure "Terminology"). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Compiles one selector found in a token. Any failure (too long, malformed pattern or template,
 * control characters) is a defect of the token, so it is `invalid_token`, never `invalid_selector`
 * (Mercure "Authorization Details").
 */
export function compileTokenSelector(
  type: MatchType,
  raw: unknown,
  limits: SelectorLimits,
  where: string,
): Selector {
  if (typeof raw !== 'string' || raw === '') throw invalidToken(`${where} is not a non-empty string`);
  if (raw.length > limits.maxSelectorLength) {
    throw invalidToken(`${where} is longer than ${limits.maxSelectorLength} characters`);
  }
  if (CONTROL.test(raw)) throw invalidToken(`${where} contains a control character`);
  try {
    return compileSelector(type, raw, limits);
  } catch (err) {
    const why = isHubError(err) ? err.message : 'cannot be compiled';
    throw invalidToken(`${where}: ${why}`);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
