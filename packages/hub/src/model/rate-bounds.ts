/**
 * Bounds of a maximum rate in events per second: the `maxRate` query parameter (400
 * invalid_max_rate outside), the `tidings_max_rate` token claim and `conflate.maxRate`.
 */
export const MIN_RATE = 0.1;
export const MAX_RATE = 1000;
