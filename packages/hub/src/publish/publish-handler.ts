import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { grants, type Principal } from '../auth/principal.js';
import { publishUnique } from '../engine/publish-unique.js';
import { HubError } from '../errors.js';
import { forEachField } from '../http/form.js';
import { writeHead } from '../http/header-value.js';
import { ignoredTokenHeaders } from '../http/ignored-token.js';
import { readBody } from '../http/read-body.js';
import { redactUrl } from '../http/redact-url.js';
import type { HubContext } from '../hub-context.js';
import type { Update, UpdateInit } from '../model/update.js';
import { validateUpdate } from '../model/validate-update.js';
import { clientKey } from '../ops/client-key.js';
import { BATCH_MEDIA_TYPE, handleBatchPublish } from './publish-batch.js';

export const FORM = 'application/x-www-form-urlencoded';
/**
 * The headers of every acknowledgement: one object for all of them (`writeHead` only reads it;
 * its values still go through `headerValue`, the one encoder for every head).
 */
export const ACK_HEADERS = Object.freeze({
  'Content-Type': 'text/plain; charset=utf-8',
  'Cache-Control': 'no-store',
});

/**
 * POST /.well-known/mercure (Mercure "Publication"): form fields topic (repeatable, the first is
 * canonical), data, private, id, type, retry. Answers 200 text/plain with the event id only once
 * the engine has acknowledged (stored) the update.
 */
export async function handlePublish(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === BATCH_MEDIA_TYPE) return handleBatchPublish(ctx, req, res, url);
  if (mediaType !== FORM) throw new HubError('unsupported_media_type', `got "${mediaType.slice(0, 64)}"`);
  const { update, notice } = await publishForm(ctx, req, url, () => readBody(req, ctx.limits.maxBodyBytes));
  // The shared object unless a development hub has a Tidings-Token-Ignored notice to add.
  writeHead(res, 200, notice === undefined ? ACK_HEADERS : { ...ACK_HEADERS, ...notice });
  res.end(update.id);
}

/** A stored form publish, and the development hub's Tidings-Token-Ignored notice, if any. */
export interface FormPublished {
  readonly update: Update;
  readonly notice: Record<string, string> | undefined;
}

/**
 * Everything a form publish does between its head and its answer, for node:http and the raw
 * intake alike (routes/raw-publish.ts): authorization, rate limit, readiness, the form, the store.
 * `req` is read for its headers, URL and peer address only; `body` is awaited after the checks
 * that need no body, as node:http reads it.
 */
export async function publishForm(
  ctx: HubContext,
  req: IncomingMessage,
  url: URL,
  body: () => Buffer | Promise<Buffer>,
): Promise<FormPublished> {
  const principal = ctx.publisherAuth ? await authorizePublisher(ctx, req, url) : undefined;
  const ignored = ctx.publisherAuth ? {} : ignoredTokenHeaders(ctx, req, url, 'publisher');
  const notice = Object.keys(ignored).length === 0 ? undefined : ignored;

  const wait = publishLimiter(ctx, principal).take(clientKey(req, ctx.trustProxy));
  if (wait > 0) throw new HubError('publish_rate_limited', undefined, { 'Retry-After': String(wait) });
  if (!ctx.engine.isReady()) throw new HubError('store_unavailable', undefined, { 'Retry-After': '1' });

  const init = formUpdate(ctx, await body(), principal);
  // A reused id is re-identified, not refused (engine/publish-unique.ts).
  const update = await publishUnique(ctx.engine, init);
  ctx.metrics.publishes++;
  ctx.published?.(update);
  // The data and the token are never logged: ids, topics and sizes say what happened. Built only
  // when debug is on: every publish would otherwise pay for an object it throws away.
  if (ctx.logger.isLevelEnabled('debug')) {
    ctx.logger.debug(
      {
        id: update.id,
        topics: update.topics,
        private: update.private,
        bytes: Buffer.byteLength(update.data),
        client: clientKey(req, ctx.trustProxy),
        url: redactUrl(req.url ?? ''),
      },
      'publish',
    );
  }
  return { update, notice };
}

/**
 * Rate policy (docs/limits.md): a token in the Authorization header is a backend's, not a
 * browser's (browsers use the cookie); it has its own limit, off by default.
 */
export function publishLimiter(
  ctx: HubContext,
  principal: Principal | undefined,
): HubContext['publishLimiter'] {
  return principal?.source === 'header' ? ctx.tokenPublishLimiter : ctx.publishLimiter;
}

/**
 * One update from one form body (Mercure "Publication"): fields decoded straight from the body,
 * validated, checked against the token's publish rights; encoded once by `publishUnique`. Shared
 * by the batch.
 */
export function formUpdate(ctx: HubContext, body: Buffer, principal: Principal | undefined): UpdateInit {
  const topics: string[] = [];
  let data: string | undefined;
  let id: string | undefined;
  let type: string | undefined;
  let retry: string | undefined;
  let isPrivate = false;
  forEachField(body, (name, value) => {
    if (name === 'topic') topics.push(value);
    else if (name === 'data') data = value;
    else if (name === 'id') id = value;
    else if (name === 'type') type = value;
    else if (name === 'retry') retry = value;
    // Mercure: the presence of `private` marks the update private, whatever its value.
    else if (name === 'private') isPrivate = true;
  });
  const init = validateUpdate({ topics, data, id, type, retry, private: isPrivate }, ctx.limits, ctx.hubUrl);
  if (principal !== undefined && !init.topics.every((t) => grants(principal.publish, [t]))) {
    throw new HubError('insufficient_scope', 'the token does not grant publish on every topic', {
      'WWW-Authenticate': bearerChallenge('insufficient_scope'),
    });
  }
  return init;
}

export async function authorizePublisher(
  ctx: HubContext,
  req: IncomingMessage,
  url: URL,
): Promise<Principal> {
  const principal = await ctx.authenticator.authenticate(req, url, 'publisher');
  if (principal === undefined) {
    throw new HubError('missing_token', 'publishing needs an access token', {
      'WWW-Authenticate': bearerChallenge(),
    });
  }
  // CSRF: a browser sends cookies with any cross-site form post, so a cookie-authenticated
  // publish must come from an allowed Origin (or Referer when Origin is absent).
  if (principal.source === 'cookie') {
    const origin = requestOrigin(req);
    if (origin === undefined || !ctx.publishOrigins.allows(origin)) {
      throw new HubError(
        'forbidden_origin',
        origin === undefined ? 'no Origin or Referer' : `origin ${origin}`,
      );
    }
  }
  return principal;
}

function requestOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') return origin;
  const referer = req.headers.referer;
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
