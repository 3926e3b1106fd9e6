import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { MERCURE_DETAIL_TYPE } from '../auth/authorization-details.js';
import { explainToken } from '../auth/explain-token.js';
import type { Role } from '../auth/principal.js';
import { HubError } from '../errors.js';
import { writeHead } from '../http/header-value.js';
import { readBody } from '../http/read-body.js';
import type { HubContext } from '../hub-context.js';
import { DEBUG_PAGE } from './debug-page.js';

export interface DebugUiOptions {
  /** HMAC secret the hub was given on the command line: /ui/token signs development tokens with it. */
  readonly devTokenKey?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

/**
 * The debug page and its helpers under /.well-known/mercure/ui/ (on by default in development
 * mode, an option otherwise: `HubOptions.debugUi`). It shows what the hub does; it never grants
 * more than the hub's own routes: subscribing and publishing go through them, tokens included.
 */
export function debugUiRoute(
  path: string,
  method: string,
  options: DebugUiOptions,
): ((ctx: HubContext, req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined {
  const sub = path.slice('/.well-known/mercure/ui'.length);
  if (sub === '' || sub === '/') {
    if (method !== 'GET') return notAllowed('GET');
    return async (_ctx, _req, res) => {
      writeHead(res, 200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Security-Policy':
          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      });
      res.end(DEBUG_PAGE);
    };
  }
  if (sub === '/config')
    return async (_ctx, _req, res) => json(res, 200, { devToken: options.devTokenKey !== undefined });
  if (sub === '/subscriptions') return async (ctx, _req, res) => json(res, 200, ctx.registry.list());
  if (sub === '/explain') {
    if (method !== 'POST') return notAllowed('POST');
    return async (ctx, req, res) => {
      const body = await jsonBody(req, ctx.limits.maxBodyBytes);
      const role: Role = body.role === 'subscriber' ? 'subscriber' : 'publisher';
      const topics = Array.isArray(body.topics)
        ? body.topics.filter((t): t is string => typeof t === 'string')
        : [];
      const token = typeof body.token === 'string' ? body.token : '';
      json(
        res,
        200,
        await explainToken(
          ctx.authenticator,
          ctx,
          token,
          role,
          topics.slice(0, ctx.limits.maxTopicsPerPublish),
        ),
      );
    };
  }
  if (sub === '/token') {
    if (method !== 'POST') return notAllowed('POST');
    const key = options.devTokenKey;
    if (key === undefined)
      return async () => Promise.reject(new HubError('not_found', 'no key was given on the command line'));
    return async (ctx, req, res) => {
      const body = await jsonBody(req, ctx.limits.maxBodyBytes);
      const topics = Array.isArray(body.topics)
        ? body.topics.filter((t): t is string => typeof t === 'string')
        : [];
      const asked = topics.length > 0 ? topics.slice(0, ctx.limits.maxTopicsPerPublish) : ['*'];
      const jwt = new SignJWT({
        authorization_details: [
          {
            type: MERCURE_DETAIL_TYPE,
            actions: ['publish', 'subscribe'],
            topics: asked.map((match) => ({ match })),
          },
        ],
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
        .setExpirationTime('1h');
      if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
      if (options.audience !== undefined) jwt.setAudience(options.audience);
      json(res, 200, { token: await jwt.sign(new TextEncoder().encode(key)) });
    };
  }
  return undefined;
}

/** A JSON body, bounded by the publish body limit (`maxBodyBytes`, 413 body_too_large): the page sends forms and tokens. */
async function jsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const text = (await readBody(req, maxBytes)).toString('utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  throw new HubError('bad_request', 'the body is not a JSON object');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  writeHead(res, status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(body);
}

function notAllowed(allow: string) {
  return async (): Promise<void> => {
    throw new HubError('method_not_allowed', undefined, { Allow: allow });
  };
}
