import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_COOKIE_NAMES } from '../auth/auth-options.js';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { findToken } from '../auth/token-source.js';
import { HubError } from '../errors.js';
import { writeHead } from '../http/header-value.js';
import { readBody } from '../http/read-body.js';
import type { HubContext } from '../hub-context.js';
import { endpointId } from '../store/push-record.js';
import {
  endpointOf,
  MAX_REGISTRATION_BYTES,
  parseJsonBody,
  type Registrant,
  recordFromRegistration,
} from './push-registration.js';
import type { PushService } from './push-service.js';

/** Where pages register push subscriptions, under the hub's URL. */
export const PUSH_PATH = '/.well-known/mercure/push';

/**
 * `/.well-known/mercure/push` (docs/push.md):
 * - GET: `{"publicKey"}`, the VAPID key a page subscribes with (`applicationServerKey`);
 * - POST `{subscription, match, match_urlpattern?, presence?}`: keeps the subscription, for the
 *   token presented as a subscribe would present it (201 `{id, presence}`);
 * - DELETE `{endpoint}`: forgets it (204). The endpoint is the capability: whoever knows it can
 *   push to that browser, so knowing it is what unregistering takes.
 */
export async function handlePush(
  ctx: HubContext,
  push: PushService,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (ctx.shuttingDown()) throw new HubError('shutting_down', undefined, { 'Retry-After': '1' });
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    const body = JSON.stringify({ publicKey: push.publicKey });
    writeHead(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=300' });
    res.end(method === 'HEAD' ? undefined : body);
    return;
  }
  if (method !== 'POST' && method !== 'DELETE') {
    throw new HubError('method_not_allowed', undefined, { Allow: 'GET, HEAD, POST, DELETE, OPTIONS' });
  }
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HubError('unsupported_media_type', 'a push registration is application/json');
  }
  const body = parseJsonBody(await readBody(req, MAX_REGISTRATION_BYTES));
  if (method === 'DELETE') {
    const id = endpointId(endpointOf(body, push.config));
    if (await push.store.remove(id)) {
      push.metrics.remove('unsubscribed');
      push.refreshCount();
    }
    writeHead(res, 204, { 'Cache-Control': 'no-store' });
    res.end();
    return;
  }
  const record = recordFromRegistration(
    body,
    await registrant(ctx, req, url),
    push.config,
    ctx.selectorLimits,
    ctx.limits.maxSelectorsPerSubscribe,
    ctx.now(),
  );
  await push.store.put(record, {
    maxTotal: ctx.limits.maxPushSubscriptions,
    maxPerOwner: ctx.limits.maxPushSubscriptionsPerSubscriber,
  });
  push.refreshCount();
  ctx.logger.debug({ push: record.id, selectors: record.selectors.length }, 'push subscription kept');
  const answer = JSON.stringify({ id: record.id, presence: record.presence.slice(2) });
  writeHead(res, 201, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(answer);
}

/**
 * The registrant's token, verified as a subscribe's is (same sources: header, then query, then
 * cookie). Its text is kept with the record, to be verified again at each delivery.
 */
async function registrant(ctx: HubContext, req: IncomingMessage, url: URL): Promise<Registrant> {
  const principal = await ctx.authenticator.authenticate(req, url, 'subscriber');
  if (principal === undefined) {
    if (!ctx.anonymous) {
      throw new HubError('missing_token', 'registering for push needs an access token', {
        'WWW-Authenticate': bearerChallenge(),
      });
    }
    return { token: undefined, subject: undefined, expiresAt: undefined };
  }
  const presented = findToken(req.headers, url, { cookieNames: DEFAULT_COOKIE_NAMES, allowQueryToken: true });
  return { token: presented?.token, subject: principal.subject, expiresAt: principal.expiresAt };
}
