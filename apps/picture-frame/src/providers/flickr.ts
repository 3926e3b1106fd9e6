import type { Candidate } from '../picture.js';
import { cleanText } from '../picture.js';
import { type FetchLike, fetchJson, type ImageProvider, isRecord, ProviderError } from './provider.js';

export const FLICKR_API_URL = 'https://api.flickr.com';
export const FLICKR_IMAGE_HOST = 'live.staticflickr.com';

/**
 * Flickr licence ids (flickr.photos.licenses.getInfo). By default we search only pictures
 * whose licence lets anyone show them: the Creative Commons ones and the public-domain marks.
 */
export const FLICKR_LICENSES: Record<string, { name: string; url?: string }> = {
  '0': { name: 'All Rights Reserved' },
  '1': { name: 'CC BY-NC-SA 2.0', url: 'https://creativecommons.org/licenses/by-nc-sa/2.0/' },
  '2': { name: 'CC BY-NC 2.0', url: 'https://creativecommons.org/licenses/by-nc/2.0/' },
  '3': { name: 'CC BY-NC-ND 2.0', url: 'https://creativecommons.org/licenses/by-nc-nd/2.0/' },
  '4': { name: 'CC BY 2.0', url: 'https://creativecommons.org/licenses/by/2.0/' },
  '5': { name: 'CC BY-SA 2.0', url: 'https://creativecommons.org/licenses/by-sa/2.0/' },
  '6': { name: 'CC BY-ND 2.0', url: 'https://creativecommons.org/licenses/by-nd/2.0/' },
  '7': { name: 'No known copyright restrictions', url: 'https://www.flickr.com/commons/usage/' },
  '8': { name: 'United States Government Work', url: 'http://www.usa.gov/copyright.shtml' },
  '9': { name: 'CC0 1.0', url: 'https://creativecommons.org/publicdomain/zero/1.0/' },
  '10': { name: 'Public Domain Mark 1.0', url: 'https://creativecommons.org/publicdomain/mark/1.0/' },
};
export const DEFAULT_FLICKR_LICENSES = '1,2,3,4,5,6,7,8,9,10';

export interface FlickrOptions {
  readonly apiKey: string;
  readonly fetch?: FetchLike;
  /** The REST endpoint's origin; tests point it at a local fake. */
  readonly baseUrl?: string;
  /** Comma-separated licence ids to search. */
  readonly licenses?: string;
  /** Flickr size suffix: b = 1024 px on the longest side. */
  readonly size?: string;
}

const DIGITS = /^[0-9]+$/;
const SECRET = /^[0-9a-f]+$/;
const OWNER = /^[0-9A-Za-z@_-]+$/;

/**
 * Flickr: flickr.photos.search by text, sorted by relevance, 100 per page, as the original
 * frame did, with the image URL in the current format
 * https://live.staticflickr.com/{server}/{id}_{secret}_{size}.jpg. Flickr answers API errors
 * with HTTP 200 and {"stat":"fail","code":..,"message":..}: those are failures too.
 */
export function createFlickrProvider(options: FlickrOptions): ImageProvider {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const base = (options.baseUrl ?? FLICKR_API_URL).replace(/\/+$/, '');
  const size = options.size ?? 'b';
  if (!options.apiKey) throw new Error('Flickr needs an API key (FLICKR_API_KEY)');
  return {
    name: 'flickr',
    allowlist: { hosts: [FLICKR_IMAGE_HOST] },
    async search(keyword: string, signal: AbortSignal): Promise<Candidate[]> {
      const q = new URLSearchParams({
        method: 'flickr.photos.search',
        api_key: options.apiKey,
        text: keyword,
        sort: 'relevance',
        per_page: '100',
        page: '1',
        content_type: '1',
        media: 'photos',
        safe_search: '1',
        license: options.licenses ?? DEFAULT_FLICKR_LICENSES,
        extras: 'owner_name,license',
        format: 'json',
        nojsoncallback: '1',
      });
      const { status, body } = await fetchJson('flickr', fetchFn, `${base}/services/rest/?${q}`, signal);
      if (isRecord(body) && body['stat'] === 'fail') {
        throw new ProviderError(
          'flickr',
          `Flickr refused the search: ${cleanText(body['message'], 120)} (code ${String(body['code'])})`,
        );
      }
      if (status < 200 || status > 299) throw new ProviderError('flickr', `Flickr answered HTTP ${status}`);
      const photos =
        isRecord(body) && body['stat'] === 'ok' && isRecord(body['photos'])
          ? body['photos']['photo']
          : undefined;
      if (!Array.isArray(photos)) throw new ProviderError('flickr', 'Flickr answered without a photo list');
      const out: Candidate[] = [];
      for (const p of photos) {
        if (!isRecord(p)) continue;
        const id = String(p['id'] ?? '');
        const secret = String(p['secret'] ?? '');
        const server = String(p['server'] ?? '');
        const owner = String(p['owner'] ?? '');
        // Values that would not make a well-formed URL are skipped, never spliced in.
        if (!DIGITS.test(id) || !SECRET.test(secret) || !DIGITS.test(server) || !OWNER.test(owner)) continue;
        const lic = FLICKR_LICENSES[String(p['license'] ?? '')];
        out.push({
          url: `https://${FLICKR_IMAGE_HOST}/${server}/${id}_${secret}_${size}.jpg`,
          title: cleanText(p['title']) || 'Untitled',
          credit: cleanText(p['ownername']) || owner,
          creditUrl: `https://www.flickr.com/people/${owner}/`,
          license: lic?.name ?? 'See the photo page',
          licenseUrl: lic?.url,
          sourceUrl: `https://www.flickr.com/photos/${owner}/${id}`,
        });
      }
      return out;
    },
  };
}
