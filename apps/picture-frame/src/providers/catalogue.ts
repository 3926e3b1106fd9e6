import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeLink } from '../image-url.js';
import type { Candidate } from '../picture.js';
import { cleanText } from '../picture.js';
import { type ImageProvider, isRecord } from './provider.js';
import { matchScore, tokenize } from './words.js';

/** One picture of a catalogue.json: a file beside it, keywords and its recorded licence. */
export interface CatalogueEntry {
  readonly file: string;
  readonly title: string;
  readonly keywords: readonly string[];
  readonly creator: string;
  readonly creatorUrl?: string | undefined;
  readonly license: string;
  readonly licenseUrl?: string | undefined;
}

export const CATALOGUE_URL_PREFIX = '/catalogue/';
const SAFE_FILE = /^[a-z0-9][a-z0-9._-]*\.(svg|png|jpe?g|webp|gif)$/;

export function loadCatalogue(dir: string): CatalogueEntry[] {
  const raw: unknown = JSON.parse(readFileSync(join(dir, 'catalogue.json'), 'utf8'));
  if (!isRecord(raw) || !Array.isArray(raw['entries']))
    throw new Error(`${dir}/catalogue.json has no entries`);
  return raw['entries'].map((e: unknown, i: number) => {
    if (!isRecord(e)) throw new Error(`catalogue entry ${i} is not an object`);
    const file = e['file'];
    const keywords = e['keywords'];
    if (typeof file !== 'string' || !SAFE_FILE.test(file)) throw new Error(`catalogue entry ${i}: bad file`);
    if (!Array.isArray(keywords) || keywords.length === 0 || !keywords.every((k) => typeof k === 'string')) {
      throw new Error(`catalogue entry ${i}: keywords missing`);
    }
    if (typeof e['license'] !== 'string' || e['license'] === '') {
      throw new Error(`catalogue entry ${i}: licence missing`);
    }
    return {
      file,
      title: cleanText(e['title']),
      keywords: keywords.map((k: string) => k.toLowerCase()),
      creator: cleanText(e['creator']),
      creatorUrl: safeLink(e['creatorUrl']),
      license: cleanText(e['license']),
      licenseUrl: safeLink(e['licenseUrl']),
    };
  });
}

/**
 * The offline default: pictures bundled with the app (our own drawings, CC0), found by keyword
 * or title words. Works with no network at all.
 */
export function createCatalogueProvider(dir: string): ImageProvider {
  const entries = loadCatalogue(dir);
  return {
    name: 'catalogue',
    allowlist: { hosts: [], pathPrefix: CATALOGUE_URL_PREFIX },
    localAssets: { urlPrefix: CATALOGUE_URL_PREFIX, dir },
    async search(keyword: string): Promise<Candidate[]> {
      const words = tokenize(keyword);
      const scored = entries.map((e) => ({
        e,
        score: matchScore(words, [...e.keywords, ...tokenize(e.title)]),
      }));
      const best = Math.max(0, ...scored.map((s) => s.score));
      if (best === 0) return [];
      return scored
        .filter((s) => s.score === best)
        .map(({ e }) => ({
          url: CATALOGUE_URL_PREFIX + e.file,
          title: e.title,
          credit: e.creator,
          creditUrl: e.creatorUrl,
          license: e.license,
          licenseUrl: e.licenseUrl,
        }));
    },
    suggestions(): string[] {
      return [...new Set(entries.map((e) => e.keywords[0]!))];
    },
  };
}
