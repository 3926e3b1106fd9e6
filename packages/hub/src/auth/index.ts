export {
  type AuthLimits,
  type AuthOptions,
  DEFAULT_ALGORITHMS,
  DEFAULT_AUTH_LIMITS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_COOKIE_NAMES,
} from './auth-options.js';
export { createAuthenticator, type HubAuthenticator } from './authenticator.js';
export { type BearerError, bearerChallenge, DEFAULT_REALM } from './bearer-challenge.js';
export { AuthConfigError } from './key-set.js';
export { payloadFor } from './payload-for.js';
export {
  type Authenticator,
  grants,
  type PayloadGrant,
  type Principal,
  type Role,
  type TokenSource,
} from './principal.js';
