import { DEFAULT_COOKIE_NAMES } from '../auth/auth-options.js';
import { MERCURE_DETAIL_TYPE } from '../auth/authorization-details.js';

export interface MetadataInput {
  /** The resource identifier: what tokens carry in `aud` (`--jwt-audience`, else the hub URL). */
  readonly resource: string;
  /** True when Active Subscriptions are on. */
  readonly subscriptions: boolean;
}

/**
 * The RFC 9728 protected resource metadata of the hub (Mercure "Protected Resource Metadata"),
 * served at `/.well-known/oauth-protected-resource/.well-known/mercure`. `authorization_servers`
 * is omitted: tokens are self-issued with keys configured out of band. `bearer_methods_supported`
 * lists only `header`: the cookie is no RFC 6750 method (it has `mercure_cookie`), and the 0.x
 * `authorization` query parameter is a 0.x compatibility path, not advertised.
 * `mercure_matcher_types_supported` is omitted: the set is exactly `exact` and `urlpattern`.
 */
export function protectedResourceMetadata(input: MetadataInput): Record<string, unknown> {
  return {
    resource: input.resource,
    authorization_details_types_supported: [MERCURE_DETAIL_TYPE],
    bearer_methods_supported: ['header'],
    mercure_cookie: DEFAULT_COOKIE_NAMES[0],
    ...(input.subscriptions && { mercure_subscriptions: true }),
  };
}
