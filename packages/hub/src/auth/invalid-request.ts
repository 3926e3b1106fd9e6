import { HubError } from '../errors.js';
import { bearerChallenge } from './bearer-challenge.js';

/**
 * A malformed token presentation (Mercure "Error Responses": 400 with a Bearer challenge carrying
 * `error="invalid_request"`): an Authorization header that is not `Bearer <token>`, an empty
 * token, a repeated parameter, or a token in the `access_token` query parameter, which the
 * current text does not accept (RFC 9700 forbids tokens in URLs).
 */
export function invalidRequest(reason: string): HubError {
  return new HubError('invalid_request', reason, {
    'WWW-Authenticate': bearerChallenge('invalid_request', reason),
  });
}
