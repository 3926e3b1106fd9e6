import { HubError } from '../errors.js';
import { bearerChallenge } from './bearer-challenge.js';

/**
 * The one error a presented-but-unusable token produces (Mercure "Error Responses": every
 * presented-token failure is `invalid_token`). `reason` is one line for logs and the problem
 * detail; it must never contain the token. The RFC 6750 challenge is attached so that the HTTP
 * layer can answer with it as is.
 */
export function invalidToken(reason: string): HubError {
  return new HubError('invalid_token', reason, {
    'WWW-Authenticate': bearerChallenge('invalid_token', reason),
  });
}
