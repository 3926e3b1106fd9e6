/**
 * What a provider finds, before the server adds the searched keyword. Every field is plain
 * text or a checked URL: the page renders text with textContent and links only when http(s).
 */
export interface Candidate {
  /** The image: https on the provider's allowlist, or a same-origin path the provider serves. */
  readonly url: string;
  readonly title: string;
  /** Who made it. */
  readonly credit: string;
  readonly creditUrl?: string | undefined;
  /** A licence name such as "CC BY 2.0" or "CC0 1.0". */
  readonly license: string;
  readonly licenseUrl?: string | undefined;
  /** The page the picture comes from (Flickr photo page, Openverse landing page...). */
  readonly sourceUrl?: string | undefined;
}

/** The JSON of a `picture` event: what every page shows. */
export interface Picture extends Candidate {
  /** The search term, as normalised by the server. */
  readonly keyword: string;
  /** The provider's name: catalogue, folder, flickr or openverse. */
  readonly source: string;
}

/** The JSON of a `viewers` event. `current` is the picture on show (null when none is known). */
export interface ViewersEvent {
  readonly viewers: number;
  readonly current: Picture | null;
}

export const TEXT_FIELD_MAX = 200;

/** Plain text for a caption: no control characters, collapsed spaces, bounded length. */
export function cleanText(value: unknown, max = TEXT_FIELD_MAX): string {
  if (typeof value !== 'string') return '';
  const s = value
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
