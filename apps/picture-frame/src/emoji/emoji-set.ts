/**
 * The emoji the demo tracks: single code points from the Unicode emoji blocks (faces, symbols
 * and pictographs, transport, food, animals), in a fixed order. Index i is the i-th number of a
 * score update, and its detail topic is named after its code point in hex.
 */
const RANGES: readonly [number, number][] = [
  [0x1f600, 0x1f64f],
  [0x1f910, 0x1f93a],
  [0x1f940, 0x1f945],
  [0x1f947, 0x1f94f],
  [0x1f950, 0x1f96b],
  [0x1f980, 0x1f997],
  [0x1f300, 0x1f321],
  [0x1f32d, 0x1f335],
  [0x1f337, 0x1f37c],
  [0x1f37e, 0x1f393],
  [0x1f680, 0x1f6c5],
  [0x2764, 0x2764],
];

export interface Emoji {
  readonly char: string;
  /** Lower-case hex code point: the id in URLs and topics. */
  readonly id: string;
}

export const EMOJI: readonly Emoji[] = Object.freeze(
  RANGES.flatMap(([from, to]) =>
    Array.from({ length: to - from + 1 }, (_, i) => ({
      char: String.fromCodePoint(from + i),
      id: (from + i).toString(16),
    })),
  ),
);

export const EMOJI_INDEX: ReadonlyMap<string, number> = new Map(EMOJI.map((e, i) => [e.id, i]));
