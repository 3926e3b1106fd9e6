/**
 * The wait before reconnection attempt `failures` (0 for the first after a healthy stream).
 * The first wait is the reconnection time exactly, as the HTML standard's "reestablish the
 * connection" gives it (the `retry` field may change it). After that the standard lets a client
 * wait longer (step 3, "optionally wait some more"): full jitter over an exponential bound,
 * never shorter than the reconnection time, never past `cap` (unless `retry` itself is longer),
 * so a hub that comes back is not met by every client at the same instant.
 */
export function backoffDelay(retry: number, failures: number, cap: number, random = Math.random): number {
  if (failures <= 0) return retry;
  const bound = Math.max(retry, Math.min(cap, retry * 2 ** Math.min(failures, 30)));
  return retry + random() * (bound - retry);
}
