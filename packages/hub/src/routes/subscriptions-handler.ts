import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerChallenge } from '../auth/bearer-challenge.js';
import { grants } from '../auth/principal.js';
import { SUBSCRIPTIONS_PATH } from '../broker/subscription-info.js';
import { HubError } from '../errors.js';
import { idHeaderValue, writeHead } from '../http/header-value.js';
import { mercureLink } from '../http/mercure-link.js';
import type { HubContext } from '../hub-context.js';

/**
 * GET /.well-known/mercure/subscriptions[/{match_type}[/{match}[/{subscriber}]]] (Mercure
 * "Subscription API"). The requested path, in its relative form (no query), is the topic the
 * token must grant `subscribe` on, so one matcher covers the events and the listing. The cursor
 * is the `last-event-id` attribute of the `rel="mercure"` Link header; bodies are plain JSON.
 */
export async function handleSubscriptions(
  ctx: HubContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  if (!ctx.subscriptionsEnabled) throw new HubError('not_found', 'Active Subscriptions are disabled');
  const path = url.pathname.replace(/\/+$/, '');
  const principal = await ctx.authenticator.authenticate(req, url, 'subscriber');
  if (principal === undefined) {
    throw new HubError('missing_token', 'listing subscriptions needs an access token', {
      'WWW-Authenticate': bearerChallenge(),
    });
  }
  if (!grants(principal.subscribe, [path])) {
    throw new HubError('insufficient_scope', 'the token does not grant subscribe on this path', {
      'WWW-Authenticate': bearerChallenge('insufficient_scope'),
    });
  }

  const depth = path.slice(SUBSCRIPTIONS_PATH.length).split('/').filter(Boolean).length;
  if (depth > 3) throw new HubError('not_found');
  const lastEventId = (await ctx.engine.history.lastId()) ?? 'earliest';
  let doc: object;
  if (depth === 3) {
    const info = ctx.registry.get(path);
    if (info === undefined) throw new HubError('not_found', 'no such active subscription');
    doc = info;
  } else {
    doc = {
      id: path,
      type: 'subscriptions',
      subscriptions: ctx.registry.list(path === SUBSCRIPTIONS_PATH ? undefined : path),
    };
  }
  const body = JSON.stringify(doc);
  writeHead(res, 200, {
    'Content-Type': 'application/json',
    // Subscription events are a homogeneous stream: event type `mercure`, JSON bodies.
    Link: mercureLink(ctx.hubUrl, {
      'last-event-id': lastEventId,
      type: 'mercure',
      'content-type': 'application/json',
    }),
    'Cache-Control': 'must-revalidate',
    // An entity-tag is visible ASCII without `"` (RFC 9110 8.8.3): the id as headers carry it.
    ETag: `"${idHeaderValue(lastEventId)}"`,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
