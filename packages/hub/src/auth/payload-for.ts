import type { Principal } from './principal.js';

/**
 * The payload to attach to one subscription (Mercure "Payloads"): that of the first `subscribe`
 * grant whose topics match the subscription's own matcher string, treated as a topic. An
 * identical matcher string always counts as a match (an Exact matcher matches itself, and so
 * does `https://example.com/bar/:id` or a 0.x template). The first match wins even when it
 * carries no payload: broader entries placed first mask later ones, as the spec warns. An
 * anonymous subscriber (no principal) has no payload.
 */
export function payloadFor(principal: Principal | undefined, subscriptionSelectorRaw: string): unknown {
  if (principal === undefined) return undefined;
  for (const grant of principal.payloads) {
    for (const selector of grant.selectors) {
      if (selector.raw === subscriptionSelectorRaw || selector.matches(subscriptionSelectorRaw)) {
        return grant.payload;
      }
    }
  }
  return undefined;
}
