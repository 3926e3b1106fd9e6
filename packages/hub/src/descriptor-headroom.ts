import { readdirSync, readFileSync } from 'node:fs';

/**
 * How many more file descriptors this process may open: the soft RLIMIT_NOFILE minus the ones
 * open now. Linux only (/proc); undefined elsewhere or when unlimited. Node has no getrlimit.
 */
export function descriptorHeadroom(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return undefined;
    return Number(m[1]) - readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/**
 * The most streams the descriptors allow. A reserve stays free (a twentieth, at least 16 and at
 * most 256), so that past the cap connections are still accepted and answered 503 with
 * Retry-After, publishes and /healthz still get through, and libuv never has to reset
 * connections on EMFILE. 256 spare descriptors absorb an accept burst; a larger reserve would
 * only cost streams (20,000 descriptors allow 19,7xx streams).
 */
export function streamsAllowedBy(headroom: number | undefined): number {
  if (headroom === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(1, headroom - Math.min(256, Math.max(16, Math.ceil(headroom / 20))));
}
