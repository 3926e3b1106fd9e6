import { DEFAULT_HUB_URL } from '../defaults.js';
import { DEFAULT_LIMITS } from '../limits.js';
/**
 * A topic selector: what a subscriber listens to, and what a token grants.
 *
 * Matcher types (Mercure "Matcher Types"), by their canonical, case-sensitive names: `exact`
 * (byte-for-byte), `urlpattern` (WHATWG URL Pattern, relative patterns resolved against the hub
 * URL) and, for the 0.x dialect only, `uritemplate` (RFC 6570: the 0.x `topic` parameter and
 * `mercure` claim; never accepted as a current-draft matcher type). The value `*` matches every
 * topic whatever the type.
 */
export type MatchType = 'exact' | 'urlpattern' | 'uritemplate';

export interface Selector {
  readonly type: MatchType;
  /** The selector exactly as given. */
  readonly raw: string;
  /** True for `*`. */
  readonly wildcard: boolean;
  /** For Exact selectors (and `*`): lets the topic index use a map lookup instead of `matches`. */
  readonly exact: boolean;
  /** Pure and bounded in time: never throws, a selector over its cost cap answers false. */
  matches(topic: string): boolean;
}

export interface SelectorLimits {
  /** Longest selector accepted, in UTF-16 code units. Default 2048. */
  readonly maxSelectorLength: number;
  /**
   * Most RE2 instructions one selector may compile to, all its regular expressions together
   * (see selector-cost.ts). Default 16,384.
   */
  readonly maxSelectorProgramSize: number;
  /**
   * Most ambiguous pieces in one selector: URL-pattern groups, wildcards and optional fixed text
   * (each quantifier or alternative inside a custom regexp group counts too, and a counted
   * repetition `{n,m}` counts m), or URI-template variables (see selector-cost.ts). Default 32.
   */
  readonly maxSelectorVariableParts: number;
  /** The hub's own URL: relative URL patterns and topics are resolved against it. */
  readonly hubUrl: string;
}

export const DEFAULT_SELECTOR_LIMITS: SelectorLimits = {
  maxSelectorLength: DEFAULT_LIMITS.maxSelectorLength,
  maxSelectorProgramSize: DEFAULT_LIMITS.maxSelectorProgramSize,
  maxSelectorVariableParts: DEFAULT_LIMITS.maxSelectorVariableParts,
  hubUrl: DEFAULT_HUB_URL,
};
