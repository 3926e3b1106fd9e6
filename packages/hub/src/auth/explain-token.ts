import type { IncomingMessage } from 'node:http';
import { HUB_PATH } from '../defaults.js';
import { isHubError } from '../errors.js';
import { type Authenticator, grants, type Role } from './principal.js';

/** What the hub would do with a token: the verdict of the real verification, and why. */
export interface TokenExplanation {
  /** The decoded header and payload (unverified: shown so a person can read them), when decodable. */
  readonly header?: unknown;
  readonly payload?: unknown;
  readonly role: Role;
  /** 200 accepted; else the status and code the hub answers (401 invalid_token, 403 insufficient_scope...). */
  readonly status: number;
  readonly code: string;
  /** One line: which claim, topic or grant decides. */
  readonly reason: string;
  /** Per asked topic: does the token grant this role's action on it? */
  readonly topics: readonly { readonly topic: string; readonly granted: boolean }[];
}

export interface ExplainPolicy {
  /** Publishing needs a token (a publisher key is configured). */
  readonly publisherAuth: boolean;
  /** Subscribers may come without a token. */
  readonly anonymous: boolean;
}

/**
 * Explains a token for the debug page by running the hub's own verification on it (the same
 * `Authenticator.authenticate` the HTTP paths call, so its reasons are the real ones: expiry,
 * audience, issuer, signature, algorithm...), then the same `grants` check the publish path and
 * private delivery use. No rule is restated here.
 */
export async function explainToken(
  authenticator: Authenticator,
  policy: ExplainPolicy,
  token: string,
  role: Role,
  topics: readonly string[],
): Promise<TokenExplanation> {
  const decoded = decode(token);
  const req = {
    method: role === 'publisher' ? 'POST' : 'GET',
    headers: token === '' ? {} : { authorization: `Bearer ${token}` },
    socket: {},
  } as unknown as IncomingMessage;
  const none = topics.map((topic) => ({ topic, granted: false }));
  let principal: Awaited<ReturnType<Authenticator['authenticate']>>;
  try {
    principal = await authenticator.authenticate(req, new URL(HUB_PATH, 'http://hub.invalid'), role);
  } catch (err) {
    const e = isHubError(err) ? err : undefined;
    return {
      ...decoded,
      role,
      status: e?.status ?? 401,
      code: e?.code ?? 'invalid_token',
      reason: e?.message ?? 'rejected',
      topics: none,
    };
  }
  if (principal === undefined) {
    if (role === 'publisher') {
      return policy.publisherAuth
        ? {
            role,
            status: 401,
            code: 'missing_token',
            reason: 'publishing needs an access token',
            topics: none,
          }
        : {
            role,
            status: 200,
            code: 'ok',
            reason: 'no publisher key: anyone may publish (development)',
            topics: topics.map((topic) => ({ topic, granted: true })),
          };
    }
    return policy.anonymous
      ? {
          role,
          status: 200,
          code: 'ok',
          reason: 'no token: an anonymous subscriber gets public updates only',
          topics: none,
        }
      : {
          role,
          status: 401,
          code: 'missing_token',
          reason: 'subscribing needs an access token',
          topics: none,
        };
  }
  const selectors = role === 'publisher' ? principal.publish : principal.subscribe;
  const checked = topics.map((topic) => ({ topic, granted: grants(selectors, [topic]) }));
  const missing = checked.filter((t) => !t.granted).map((t) => t.topic);
  const action = role === 'publisher' ? 'publish' : 'subscribe';
  if (missing.length === 0) {
    return {
      ...decoded,
      role,
      status: 200,
      code: 'ok',
      reason: `valid; grants ${action} on every topic asked`,
      topics: checked,
    };
  }
  if (role === 'publisher') {
    return {
      ...decoded,
      role,
      status: 403,
      code: 'insufficient_scope',
      reason: `the token does not grant publish on ${missing.join(', ')}`,
      topics: checked,
    };
  }
  // A subscriber without the grant is not refused: it just never receives private updates there.
  return {
    ...decoded,
    role,
    status: 200,
    code: 'ok',
    reason: `valid, but private updates on ${missing.join(', ')} are not delivered to it (no subscribe grant)`,
    topics: checked,
  };
}

function decode(token: string): { header?: unknown; payload?: unknown } {
  const [h, p] = token.split('.');
  const part = (s: string | undefined) => {
    try {
      return s === undefined
        ? undefined
        : (JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown);
    } catch {
      return undefined;
    }
  };
  const header = part(h);
  const payload = part(p);
  return { ...(header !== undefined && { header }), ...(payload !== undefined && { payload }) };
}
