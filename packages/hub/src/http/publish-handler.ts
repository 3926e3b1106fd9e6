import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { grants, type Principal } from '../auth/principal.js';
import { HubError } from '../errors.js';
import type { HubContext } from '../hub-context.js';
import { publishUnique } from '../pubsub/publish-unique.js';
import { validateUpdate } from '../pubsub/validate-update.js';
import { clientKey } from './client-key.js';
import { parseForm } from './form.js';
import { writeHead } from './header-value.js';
import { ignoredTokenHeaders } from './ignored-token.js';
import { readBody } from './read-body.js';
import { redactUrl } from './redact-url.js';

const FORM = 'application/x-www-form-urlencoded';

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
  if (mediaType !== FORM) throw new HubError('unsupported_media_type', `got "${mediaType.slice(0, 64)}"`);

  const principal = ctx.publisherAuth ? await authorizePublisher(ctx, req, url) : undefined;
  const notice = ctx.publisherAuth ? {} : ignoredTokenHeaders(ctx, req, url, 'publisher');

  // Rate policy (docs/limits.md): a token in the Authorization header is a backend's, not a
  // browser's (browsers use the cookie); it has its own limit, off by default.
  const limiter = principal?.source === 'header' ? ctx.tokenPublishLimiter : ctx.publishLimiter;
  const wait = limiter.take(clientKey(req, ctx.trustProxy));
  if (wait > 0) throw new HubError('publish_rate_limited', undefined, { 'Retry-After': String(wait) });
  if (!ctx.engine.isReady()) throw new HubError('store_unavailable', undefined, { 'Retry-After': '1' });

  const fields = parseForm(await readBody(req, ctx.limits.maxBodyBytes));
  const topics: string[] = [];
  let data: string | undefined;
  let id: string | undefined;
  let type: string | undefined;
  let retry: string | undefined;
  let isPrivate = false;
  for (const [name, value] of fields) {
    if (name === 'topic') topics.push(value);
    else if (name === 'data') data = value;
    else if (name === 'id') id = value;
    else if (name === 'type') type = value;
    else if (name === 'retry') retry = value;
    // Mercure: the presence of `private` marks the update private, whatever its value.
    else if (name === 'private') isPrivate = true;
  }
  const init = validateUpdate({ topics, data, id, type, retry, private: isPrivate }, ctx.limits, ctx.hubUrl);

  if (principal !== undefined && !init.topics.every((t) => grants(principal.publish, [t]))) {
    throw new HubError('insufficient_scope', 'the token does not grant publish on every topic', {
      'WWW-Authenticate': bearerChallenge('insufficient_scope'),
    });
  }

  const update = await publishUnique(ctx.engine, init);
  ctx.metrics.publishes++;
  // The data and the token are never logged: ids, topics and sizes say what happened.
  ctx.logger.debug(
    {
      id: update.id,
      topics: update.topics,
      private: update.private,
      bytes: data === undefined ? 0 : Buffer.byteLength(data),
      client: clientKey(req, ctx.trustProxy),
      url: redactUrl(req.url ?? ''),
    },
    'publish',
  );
  writeHead(res, 200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...notice,
  });
  res.end(update.id);
}

async function authorizePublisher(ctx: HubContext, req: IncomingMessage, url: URL): Promise<Principal> {
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
