// One monotonic clock for every thread of the load generator. performance.now() counts from each
// thread's own start, so each thread adds its offset to the process-wide CLOCK_MONOTONIC (hrtime).
const OFFSET_MS = Number(process.hrtime.bigint() / 1000n) / 1000 - performance.now();

/** Milliseconds on the process-wide monotonic clock, with sub-millisecond precision. */
export const nowMs = () => performance.now() + OFFSET_MS;
