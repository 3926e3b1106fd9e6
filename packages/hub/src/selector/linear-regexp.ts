import { RE2Set } from 're2js';
import { HubError } from '../errors.js';
import { checkProgramSize, type SelectorCostLimits } from './selector-cost.js';

/**
 * A regular expression run by RE2 (the `re2js` port), never by the backtracking JavaScript
 * engine: matching costs O(input length × program size) whatever the pattern, so a crafted
 * selector cannot stall the hub (Mercure, "URL Pattern": hubs MUST use a linear-time engine
 * or enforce a cost limit). The cost caps on top of that are in `selector-cost.ts`.
 */
export interface LinearRegExp {
  /** The RE2 source, anchored at both ends by the engine. */
  readonly source: string;
  /** RE2 instructions: the per-character cost bound of `test`. */
  readonly programSize: number;
  /** Whole-input match. Never throws: an engine failure answers false. */
  test(input: string): boolean;
}

/**
 * Memory the lazy DFA of one compiled expression may use. re2js defaults to 8 MiB per
 * expression; with thousands of selectors alive that is too much, so it is capped. Past it
 * re2js falls back to its NFA simulation, which is still linear-time.
 */
const DFA_MEMORY_BYTES = 64 * 1024;

/**
 * Compiles an RE2 expression matched against the whole input; throws `invalid_selector`, also
 * when its program is larger than `limits.maxSelectorProgramSize`.
 */
export function compileLinearRegExp(source: string, limits: SelectorCostLimits, what: string): LinearRegExp {
  const set = new RE2Set(RE2Set.ANCHOR_BOTH, 0, DFA_MEMORY_BYTES);
  try {
    set.add(source);
    set.compile();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HubError(
      'invalid_selector',
      oneLine(`${what} cannot run on the linear-time engine: ${reason}`),
    );
  }
  const programSize = set.prog.numInst();
  checkProgramSize(programSize, limits, what);
  return {
    source,
    programSize,
    test(input: string): boolean {
      try {
        return set.match(input).length > 0;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Quotes text for an RE2 expression. Letters and digits stay; ASCII punctuation is
 * backslash-escaped (RE2 reads any escaped punctuation as itself); everything else is written
 * as a `\x{...}` code point so no byte of the input can change the expression's structure.
 */
export function quoteRe2(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) out += ch;
    else if (cp > 0x20 && cp < 0x7f) out += `\\${ch}`;
    else out += `\\x{${cp.toString(16)}}`;
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
