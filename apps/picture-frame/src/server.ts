import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { clientKey } from '@tidings/hub';
import { clientMount } from './client-files.js';
import { FrameError } from './errors.js';
import { readFormOrJson } from './form-or-json.js';
import type { FrameHub, FrameLogger } from './frame-hub.js';
import { jsonLogger } from './frame-hub.js';
import { cspImageSources, isAllowedImageUrl } from './image-url.js';
import { answerFrameError, sendJson } from './json-answer.js';
import { DEFAULT_MAX_KEYWORD_LENGTH, parseKeyword } from './keyword.js';
import { packageRoot } from './package-root.js';
import type { Picture } from './picture.js';
import { FOLDER_IMAGE_EXTENSIONS } from './providers/folder.js';
import { type ImageProvider, ProviderError } from './providers/provider.js';
import { createRateLimiter, type RateLimiter } from './rate-limiter.js';
import { checkSameOrigin } from './same-origin.js';
import { ASSET_CSP, pageCsp, setCommonHeaders } from './security-headers.js';
import { StaticFiles } from './static-files.js';
import { FRAME_TOPIC, PICTURE_EVENT } from './topic.js';
import { startViewerBroadcast, type ViewerBroadcast } from './viewer-broadcast.js';

/** The largest /search body read, in bytes. */
export const DEFAULT_MAX_SEARCH_BODY_BYTES = 2048;
/** How long a provider may take before the search fails with provider_failed. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 8000;

export interface PictureFrameOptions {
  readonly provider: ImageProvider;
  /** The package folder holding public/ (default: found from this module). */
  readonly root?: string;
  readonly topic?: string;
  readonly rateLimiter?: RateLimiter;
  readonly maxKeywordLength?: number;
  readonly maxBodyBytes?: number;
  readonly providerTimeoutMs?: number;
  /** Injected randomness: which of the matching pictures is shown. */
  readonly random?: () => number;
  readonly log?: FrameLogger;
  /** The picture on show at start (recovered from history after a restart). */
  readonly initialPicture?: Picture | null;
  readonly viewersCoalesceMs?: number;
}

export interface SearchAnswer {
  readonly id: string;
  readonly picture: Picture;
}

export interface PictureFrame {
  /** The hub's `fallback`: every request outside the hub's own routes. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Connects the frame to its hub (created after the frame, since the hub needs `handle`). */
  attach(hub: FrameHub): void;
  current(): Picture | null;
  viewers(): ViewerBroadcast | undefined;
  close(): void;
}

/**
 * The Picture Frame's HTTP side: the page and its assets, bundled pictures, and POST /search,
 * which asks the provider, picks one matching picture at random and publishes it on the
 * frame's topic for every open page. Answers are JSON; errors are problem documents with a
 * stable code (src/errors.ts).
 */
export function createPictureFrame(options: PictureFrameOptions): PictureFrame {
  const provider = options.provider;
  const topic = options.topic ?? FRAME_TOPIC;
  const log = options.log ?? jsonLogger;
  const root = options.root ?? packageRoot();
  const limiter = options.rateLimiter ?? createRateLimiter();
  const maxKeywordLength = options.maxKeywordLength ?? DEFAULT_MAX_KEYWORD_LENGTH;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_SEARCH_BODY_BYTES;
  const providerTimeoutMs = options.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  const random = options.random ?? Math.random;
  const mountPrefix = provider.localAssets?.urlPrefix;
  const files = new StaticFiles(join(root, 'public'), [
    clientMount(),
    ...(provider.localAssets
      ? [
          {
            urlPrefix: provider.localAssets.urlPrefix,
            dir: provider.localAssets.dir,
            cacheControl: 'public, max-age=3600',
            extensions: FOLDER_IMAGE_EXTENSIONS,
          },
        ]
      : []),
  ]);
  const csp = pageCsp(cspImageSources(provider.allowlist));
  let hub: FrameHub | undefined;
  let current: Picture | null = options.initialPicture ?? null;
  let viewers: ViewerBroadcast | undefined;

  async function search(req: IncomingMessage): Promise<SearchAnswer> {
    checkSameOrigin(req);
    const decision = limiter.take(clientKey(req));
    if (!decision.ok) {
      const s = decision.retryAfterSeconds;
      throw new FrameError(
        'search_rate_limited',
        `Too many searches from you: try again in ${s} second${s === 1 ? '' : 's'}.`,
        { 'Retry-After': String(s) },
      );
    }
    if (hub === undefined) throw new FrameError('not_ready');
    const field = await readFormOrJson(req, maxBodyBytes, '{"keyword": "..."}');
    const keyword = parseKeyword(field('keyword'), maxKeywordLength);

    let candidates: Awaited<ReturnType<ImageProvider['search']>>;
    try {
      candidates = await provider.search(keyword, AbortSignal.timeout(providerTimeoutMs));
    } catch (err) {
      log.warn({ provider: provider.name, keyword, err: errorText(err) }, 'picture provider failed');
      const why = err instanceof ProviderError ? `${err.message}.` : `The ${provider.name} search failed.`;
      throw new FrameError('provider_failed', `${why} The frame keeps its current picture; try again later.`);
    }
    // Only URLs the provider may point at are ever broadcast.
    const allowed = candidates.filter((c) => isAllowedImageUrl(c.url, provider.allowlist));
    if (allowed.length < candidates.length) {
      log.warn(
        { provider: provider.name, dropped: candidates.length - allowed.length },
        'dropped image URLs off the allowlist',
      );
    }
    if (allowed.length === 0) {
      const ideas = provider.suggestions?.().slice(0, 6) ?? [];
      const hint = ideas.length > 0 ? ` Try ${ideas.join(', ')}.` : ' Try another word.';
      throw new FrameError('no_results', `No picture found for “${keyword}”.${hint}`);
    }
    const chosen = allowed[Math.min(allowed.length - 1, Math.floor(random() * allowed.length))]!;
    // Exactly what is broadcast (no undefined fields): the current picture and the event agree.
    const picture = JSON.parse(JSON.stringify({ ...chosen, keyword, source: provider.name })) as Picture;
    // Set before publishing: a viewers event published meanwhile already carries this picture,
    // and history order (picture, then viewers) agrees with it.
    const previous = current;
    current = picture;
    try {
      const id = await hub.publish({ topics: [topic], type: PICTURE_EVENT, data: JSON.stringify(picture) });
      log.info({ keyword, url: picture.url, id }, 'picture published');
      return { id, picture };
    } catch (err) {
      if (current === picture) current = previous;
      log.error({ err: errorText(err) }, 'publishing the picture failed');
      throw new FrameError('publish_failed');
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = pathOf(req.url);
    if (pathname === '/search') {
      if (req.method !== 'POST') throw new FrameError('method_not_allowed', undefined, { Allow: 'POST' });
      setCommonHeaders(res, "default-src 'none'; frame-ancestors 'none'");
      sendJson(res, 200, await search(req));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new FrameError('method_not_allowed', undefined, { Allow: 'GET, HEAD' });
    }
    const isAsset = mountPrefix !== undefined && pathname.startsWith(mountPrefix);
    setCommonHeaders(res, isAsset ? ASSET_CSP : csp);
    if (!(await files.serve(req, res, pathname))) throw new FrameError('not_found');
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => answerFrameError(req, res, err, log));
  };

  return {
    handle,
    attach(h: FrameHub) {
      hub = h;
      viewers?.stop();
      viewers = startViewerBroadcast({
        hub: h,
        topic,
        current: () => current,
        coalesceMs: options.viewersCoalesceMs,
        log,
      });
    },
    current: () => current,
    viewers: () => viewers,
    close() {
      viewers?.stop();
    },
  };
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://frame.invalid').pathname;
  } catch {
    return '/';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
