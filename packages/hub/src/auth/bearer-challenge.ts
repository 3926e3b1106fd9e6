import { HubError, isHubError } from '../errors.js';

export type BearerError = 'invalid_token' | 'insufficient_scope' | 'invalid_request';

/** The realm named in challenges when the caller gives none. */
export const DEFAULT_REALM = 'mercure';

/**
 * A `WWW-Authenticate` value per RFC 6750 section 3: `Bearer realm="..."`, then `error` and
 * `error_description` when a token was presented and failed. With no error (no token presented),
 * no error code and no description are sent (RFC 6750 3.1, Mercure "Error Responses"). The
 * optional `resourceMetadata` is RFC 9728's pointer to the protected resource metadata, which
 * Mercure asks for on the no-token challenge.
 */
export function bearerChallenge(
  error?: BearerError,
  description?: string,
  realm: string = DEFAULT_REALM,
  resourceMetadata?: string,
): string {
  const params = [`realm=${quoted(realm)}`];
  if (error !== undefined) {
    params.push(`error="${error}"`);
    // RFC 6750 3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no `"` nor `\`).
    const text = description?.replace(/[^\x21\x23-\x5b\x5d-\x7e]+/g, ' ').trim();
    if (text) params.push(`error_description="${text}"`);
  }
  if (resourceMetadata !== undefined) params.push(`resource_metadata=${quoted(resourceMetadata)}`);
  return `Bearer ${params.join(', ')}`;
}

/** An RFC 9110 quoted-string: `"` and `\` escaped; control and non-ASCII characters dropped (Node refuses them in headers). */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The same error with `resource_metadata` added to its Bearer challenge, if it has one (Mercure
 * "Error Responses": every 401/403 challenge SHOULD name the protected resource metadata, not
 * only the no-token one). Other errors are returned as they are.
 */
export function withResourceMetadata(err: unknown, metadataUrl: string): unknown {
  if (!isHubError(err)) return err;
  const challenge = err.headers['WWW-Authenticate'];
  if (challenge === undefined || !challenge.startsWith('Bearer ') || challenge.includes('resource_metadata='))
    return err;
  const out = new HubError(err.code, err.message, {
    ...err.headers,
    'WWW-Authenticate': `${challenge}, resource_metadata=${quoted(metadataUrl)}`,
  });
  return out;
}
