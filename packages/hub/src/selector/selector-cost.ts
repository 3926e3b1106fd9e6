import { HubError } from '../errors.js';
import type { SelectorLimits } from './selector.js';

/**
 * The cost caps of a compiled selector (Mercure, "URL Pattern": hubs MUST use a linear-time
 * engine or enforce an evaluation cost limit; Tidings does both).
 *
 * Patterns run on RE2, whose NFA simulation costs, per topic character, at most the number of
 * instructions of the program, and in practice the number of threads alive at once, which grows
 * with the pattern's ambiguous pieces (wildcards, groups, quantifiers). Two caps bound both:
 * - `maxSelectorProgramSize` bounds the instructions (memory and the worst case);
 * - `maxSelectorVariableParts` bounds the ambiguous pieces (the realistic worst case).
 * Exceeding either is `invalid_selector` at compile time, so no match is ever cut short; in a
 * token, the selector makes the token `invalid_token` (auth/rights.ts).
 *
 * Both are limits (`Limits`, `--max-selector-program-size`, `--max-selector-variable-parts`)
 * like every other cost a client can ask of the hub: an operator can lower them where
 * subscribers are untrusted and CPU is scarce, or raise them for an application whose patterns
 * or 0.x templates need more pieces. Neither value can make matching super-linear: RE2 stays
 * linear in the topic whatever the program, the caps only bound the factor, and the lazy DFA's
 * memory is capped per expression whatever the program (linear-regexp.ts). The defaults are
 * safe: 32 ambiguous pieces against a 2000-character adversarial topic match in milliseconds,
 * and 16,384 instructions bound both the program's memory and the steps per topic character;
 * both are far above what a real selector needs (selector-cost.test.ts compiles and runs
 * selectors at the caps against adversarial topics).
 */

/** The part of the selector limits this file checks. */
export type SelectorCostLimits = Pick<SelectorLimits, 'maxSelectorProgramSize' | 'maxSelectorVariableParts'>;

/** `size` is the RE2 instruction count of one selector, all its regular expressions together. */
export function checkProgramSize(size: number, limits: SelectorCostLimits, what: string): void {
  if (size > limits.maxSelectorProgramSize) {
    throw new HubError(
      'invalid_selector',
      `${what} is too costly: ${size} RE2 instructions, at most ${limits.maxSelectorProgramSize}`,
    );
  }
}

/** `count` is the number of ambiguous pieces of one selector (see SelectorLimits). */
export function checkVariableParts(count: number, limits: SelectorCostLimits, what: string): void {
  if (count > limits.maxSelectorVariableParts) {
    throw new HubError(
      'invalid_selector',
      `${what} is too costly: ${count} groups, wildcards or variables, at most ${limits.maxSelectorVariableParts}`,
    );
  }
}

/**
 * The ambiguity a custom regexp contributes beyond its own group: one per `*`, `+`, `?` and
 * `|`, and the bound of each counted repetition. It over-counts (a `*` inside a class, a lazy
 * `?`), which only errs on the safe side.
 */
export function regexpVariableParts(source: string): number {
  let count = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (c === '*' || c === '+' || c === '?' || c === '|') {
      count++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 16));
      if (m === null) continue;
      const low = Number(m[1]);
      const high = m[2] === undefined ? low : m[3] === '' ? low + 1 : Number(m[3]);
      count += Math.max(low, high, 1);
    }
  }
  return count;
}
