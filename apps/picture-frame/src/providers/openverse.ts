import { hostAllowed, safeLink } from '../image-url.js';
import type { Candidate } from '../picture.js';
import { cleanText } from '../picture.js';
import { type FetchLike, fetchJson, type ImageProvider, isRecord, ProviderError } from './provider.js';

export const OPENVERSE_API_URL = 'https://api.openverse.org';

/**
 * Hosts Openverse's image URLs point at that we let pages load: the largest sources. A result
 * elsewhere falls back to Openverse's own thumbnail, served from the API host.
 */
export const OPENVERSE_IMAGE_HOSTS = [
  'live.staticflickr.com',
  '*.staticflickr.com',
  'upload.wikimedia.org',
  'images.rawpixel.com',
  'collections.nmnh.si.edu',
];

export interface OpenverseOptions {
  readonly fetch?: FetchLike;
  /** The API's origin; tests point it at a local fake. */
  readonly baseUrl?: string;
  /** Anonymous clients may ask for at most 20 per page. */
  readonly pageSize?: number;
  /** An optional OAuth bearer token (higher rate limits). */
  readonly token?: string;
  readonly imageHosts?: readonly string[];
}

/** A licence code as Openverse names it ("by-sa", "cc0", "pdm") to a display name. */
export function openverseLicenseName(code: unknown, version: unknown): string {
  const c = typeof code === 'string' ? code.toLowerCase() : '';
  const v = typeof version === 'string' && /^[0-9.]+$/.test(version) ? ` ${version}` : '';
  if (c === 'cc0') return `CC0${v || ' 1.0'}`;
  if (c === 'pdm') return 'Public Domain Mark';
  if (/^[a-z-]+$/.test(c)) return `CC ${c.toUpperCase()}${v}`;
  return 'See the source page';
}

/**
 * Openverse (no key needed): GET /v1/images/?q=...&page_size=20. Its answer has
 * {result_count, page_count, page_size, page, results: [{id, title, url, creator, creator_url,
 * license, license_version, license_url, foreign_landing_url, thumbnail, ...}]}.
 */
export function createOpenverseProvider(options: OpenverseOptions = {}): ImageProvider {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const base = (options.baseUrl ?? OPENVERSE_API_URL).replace(/\/+$/, '');
  const apiHost = new URL(base).hostname;
  const imageHosts = [...(options.imageHosts ?? OPENVERSE_IMAGE_HOSTS)];
  // Thumbnails are served by the API itself (https://api.openverse.org/v1/images/{id}/thumb/).
  const thumbHosts = [...new Set([new URL(OPENVERSE_API_URL).hostname, apiHost])];
  const allowHosts = [...new Set([...imageHosts, ...thumbHosts])];
  return {
    name: 'openverse',
    allowlist: { hosts: allowHosts },
    async search(keyword: string, signal: AbortSignal): Promise<Candidate[]> {
      const q = new URLSearchParams({ q: keyword, page_size: String(options.pageSize ?? 20) });
      const headers: Record<string, string> = {};
      if (options.token) headers['authorization'] = `Bearer ${options.token}`;
      const { status, body } = await fetchJson(
        'openverse',
        fetchFn,
        `${base}/v1/images/?${q}`,
        signal,
        headers,
      );
      if (status === 429)
        throw new ProviderError('openverse', 'Openverse is rate limiting our searches; try again later');
      if (status < 200 || status > 299) {
        const detail =
          isRecord(body) && typeof body['detail'] === 'string' ? `: ${cleanText(body['detail'], 120)}` : '';
        throw new ProviderError('openverse', `Openverse answered HTTP ${status}${detail}`);
      }
      if (!isRecord(body) || !Array.isArray(body['results'])) {
        throw new ProviderError('openverse', 'Openverse answered without a result list');
      }
      const out: Candidate[] = [];
      for (const r of body['results']) {
        if (!isRecord(r)) continue;
        const url = httpsOn(r['url'], imageHosts) ?? httpsOn(r['thumbnail'], thumbHosts);
        if (url === undefined) continue;
        out.push({
          url,
          title: cleanText(r['title']) || 'Untitled',
          credit: cleanText(r['creator']) || 'Unknown creator',
          creditUrl: safeLink(r['creator_url']),
          license: openverseLicenseName(r['license'], r['license_version']),
          licenseUrl: safeLink(r['license_url']),
          sourceUrl: safeLink(r['foreign_landing_url']),
        });
      }
      return out;
    },
  };
}

function httpsOn(value: unknown, hosts: readonly string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' && hostAllowed(u.hostname, hosts) ? u.href : undefined;
  } catch {
    return undefined;
  }
}
