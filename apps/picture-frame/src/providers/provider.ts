import type { ImageAllowlist } from '../image-url.js';
import type { Candidate } from '../picture.js';

/** The `fetch` a provider is given (injected: tests point it at a local fake server). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * One interface for every picture source. `search` answers the candidates for a keyword (an
 * empty list when nothing matches) or rejects with a ProviderError when the service fails.
 */
export interface ImageProvider {
  /** Short name shown as the picture's source: catalogue, folder, flickr, openverse. */
  readonly name: string;
  /** Where this provider's image URLs may point; the server drops any other URL. */
  readonly allowlist: ImageAllowlist;
  /** Files the app must serve for this provider (same-origin images), if any. */
  readonly localAssets?: { readonly urlPrefix: string; readonly dir: string } | undefined;
  search(keyword: string, signal: AbortSignal): Promise<Candidate[]>;
  /** A few keywords known to give results, for the "no results" message. */
  suggestions?(): string[];
}

/** A provider could not answer (network error, HTTP error, API error, malformed answer). */
export class ProviderError extends Error {
  readonly provider: string;
  constructor(provider: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderError';
    this.provider = provider;
  }
}

/** Fetches JSON with a timeout; any network, HTTP or parse failure becomes a ProviderError. */
export async function fetchJson(
  provider: string,
  fetchFn: FetchLike,
  url: string,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  let res: Response;
  try {
    res = await fetchFn(url, { signal, headers: { accept: 'application/json', ...headers } });
  } catch (err) {
    const why = signal.aborted ? 'did not answer in time' : 'could not be reached';
    throw new ProviderError(provider, `${provider} ${why}`, { cause: err });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new ProviderError(provider, `${provider} answer was cut off`, { cause: err });
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch (err) {
    if (!res.ok) return { status: res.status, body: undefined, headers: res.headers };
    throw new ProviderError(provider, `${provider} answered something that is not JSON`, { cause: err });
  }
  return { status: res.status, body, headers: res.headers };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
