/** Fewest seconds a refused client is told to wait (`Retry-After`, RFC 9110 10.2.3). */
const RETRY_AFTER_MIN_S = 1;
/** Refused clients are spread over this many whole seconds from the minimum. */
const RETRY_AFTER_SPREAD_S = 5;

/**
 * The `Retry-After` of a refusal that clears by itself (a cap, a full replay queue): a random
 * whole number of seconds, so clients refused together do not all come back in the same second.
 */
export function jitteredRetryAfter(random: () => number = Math.random): string {
  return String(RETRY_AFTER_MIN_S + Math.floor(random() * RETRY_AFTER_SPREAD_S));
}
