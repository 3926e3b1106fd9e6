import { HubError } from '../errors.js';

/**
 * The cost caps of a compiled selector (Mercure, "URL Pattern": hubs MUST use a linear-time
 * engine or enforce an evaluation cost limit; Tidings does both).
 *
 * Patterns run on RE2, whose NFA simulation costs, per topic character, at most the number of
 * instructions of the program, and in practice the number of threads alive at once, which grows
 * with the pattern's ambiguous pieces (wildcards, groups, quantifiers). Two caps bound both:
 * - `MAX_SELECTOR_PROGRAM_SIZE` bounds the instructions (memory and the worst case);
 * - `MAX_SELECTOR_VARIABLE_PARTS` bounds the ambiguous pieces (the realistic worst case:
 *   32 of them against a 2000-character adversarial topic take milliseconds).
 * Exceeding either is `invalid_selector` at compile time, so no match is ever cut short.
 * Both are fixed rather than options: they are far above what any real selector needs.
 */

/** Most RE2 instructions one selector may compile to, all its regular expressions together. */
export const MAX_SELECTOR_PROGRAM_SIZE = 16_384;

/**
 * Most ambiguous pieces in one selector: URL-pattern groups, wildcards and optional fixed text
 * (each quantifier or alternative inside a custom regexp group counts too, and a counted
 * repetition `{n,m}` counts m), or URI-template variables.
 */
export const MAX_SELECTOR_VARIABLE_PARTS = 32;

export function checkProgramSize(size: number, what: string): void {
  if (size > MAX_SELECTOR_PROGRAM_SIZE) {
    throw new HubError(
      'invalid_selector',
      `${what} is too costly: ${size} RE2 instructions, at most ${MAX_SELECTOR_PROGRAM_SIZE}`,
    );
  }
}

export function checkVariableParts(count: number, what: string): void {
  if (count > MAX_SELECTOR_VARIABLE_PARTS) {
    throw new HubError(
      'invalid_selector',
      `${what} is too costly: ${count} groups, wildcards or variables, at most ${MAX_SELECTOR_VARIABLE_PARTS}`,
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
