import { readdir } from 'node:fs/promises';
import { extname } from 'node:path';
import { encodePathSegment } from '../image-url.js';
import { cleanText } from '../picture.js';
import type { ImageProvider } from './provider.js';
import { ProviderError } from './provider.js';
import { matchScore, tokenize } from './words.js';

export const FOLDER_URL_PREFIX = '/my-pictures/';
export const FOLDER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.webp', '.svg', '.avif']);

/**
 * The user's own pictures: every image file directly in `dir`, found by the words of its name
 * ("red-pumpkin.jpg" answers "pumpkin"). Read again on each search, so new files show up.
 */
export function createFolderProvider(
  dir: string,
  options: { credit?: string; license?: string } = {},
): ImageProvider {
  const credit = options.credit ?? 'Your own picture';
  const license = options.license ?? 'Yours: shared on this frame only';
  return {
    name: 'folder',
    allowlist: { hosts: [], pathPrefix: FOLDER_URL_PREFIX },
    localAssets: { urlPrefix: FOLDER_URL_PREFIX, dir },
    async search(keyword: string) {
      let names: string[];
      try {
        names = (await readdir(dir, { withFileTypes: true }))
          .filter(
            (d) =>
              d.isFile() &&
              !d.name.startsWith('.') &&
              FOLDER_IMAGE_EXTENSIONS.has(extname(d.name).toLowerCase()),
          )
          .map((d) => d.name);
      } catch (err) {
        throw new ProviderError('folder', 'The picture folder cannot be read', { cause: err });
      }
      const words = tokenize(keyword);
      const scored = names.map((n) => ({
        n,
        score: matchScore(words, tokenize(n.slice(0, -extname(n).length))),
      }));
      const best = Math.max(0, ...scored.map((s) => s.score));
      if (best === 0) return [];
      return scored
        .filter((s) => s.score === best)
        .map(({ n }) => ({
          url: FOLDER_URL_PREFIX + encodePathSegment(n),
          title: cleanText(n.slice(0, -extname(n).length).replace(/[-_]+/g, ' ')),
          credit,
          license,
        }));
    },
  };
}
