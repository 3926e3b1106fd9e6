/** Longest a breaker stays open, however often it opened again. */
export const MAX_COOLDOWN_MS = 10 * 60_000;
/** Hosts remembered; past this, hosts whose breaker is closed and calm are forgotten. */
const MAX_HOSTS = 1024;

interface HostState {
  /** Failures in a row. */
  failures: number;
  /** No request before this time (ms): open breaker, or a `Retry-After` the host asked for. */
  until: number;
  /** The next cooldown: doubled each time the breaker opens again without a success between. */
  cooldown: number;
  /** One request allowed through after the cooldown (half-open); others wait for its answer. */
  probing: boolean;
}

/**
 * A circuit breaker per push-service host: after `failures` failed requests in a row (network
 * errors, timeouts, 5xx, 429) the host gets no request for a cooldown, doubling while it keeps
 * failing (up to MAX_COOLDOWN_MS); then one request probes it and its answer closes or reopens
 * the breaker. A `Retry-After` pauses the host until then. So one dead or throttling push
 * service costs one request per cooldown, not one per queued message, and the others go on.
 */
export class CircuitBreakers {
  readonly #hosts = new Map<string, HostState>();
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;

  constructor(threshold: number, cooldownMs: number, now: () => number) {
    this.#threshold = Math.max(1, threshold);
    this.#cooldownMs = Math.max(1, cooldownMs);
    this.#now = now;
  }

  /** 0 when a request to `host` may go now (and it is then counted as the probe), else the ms to wait. */
  admit(host: string): number {
    const s = this.#hosts.get(host);
    if (s === undefined) return 0;
    const wait = s.until - this.#now();
    if (wait > 0) return wait;
    if (s.failures < this.#threshold) return 0;
    // Half-open: one probe at a time.
    if (s.probing) return Math.max(100, Math.min(this.#cooldownMs, 1000));
    s.probing = true;
    return 0;
  }

  /** True when the breaker of `host` is open (for metrics and logs). */
  isOpen(host: string): boolean {
    const s = this.#hosts.get(host);
    return s !== undefined && s.failures >= this.#threshold && s.until > this.#now();
  }

  /** Hosts whose breaker is open now. */
  openCount(): number {
    let n = 0;
    for (const host of this.#hosts.keys()) if (this.isOpen(host)) n++;
    return n;
  }

  succeeded(host: string): void {
    this.#hosts.delete(host);
  }

  /** A failed request; `retryAfterMs` from the answer, if any. Returns true when this opened the breaker. */
  failed(host: string, retryAfterMs?: number): boolean {
    let s = this.#hosts.get(host);
    if (s === undefined) {
      if (this.#hosts.size >= MAX_HOSTS) this.#forgetCalm();
      s = { failures: 0, until: 0, cooldown: this.#cooldownMs, probing: false };
      this.#hosts.set(host, s);
    }
    s.failures++;
    s.probing = false;
    const now = this.#now();
    let opened = false;
    if (s.failures >= this.#threshold) {
      s.until = Math.max(s.until, now + s.cooldown);
      s.cooldown = Math.min(MAX_COOLDOWN_MS, s.cooldown * 2);
      opened = s.failures === this.#threshold;
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0) s.until = Math.max(s.until, now + retryAfterMs);
    return opened;
  }

  #forgetCalm(): void {
    const now = this.#now();
    for (const [host, s] of this.#hosts)
      if (s.until <= now && s.failures < this.#threshold) this.#hosts.delete(host);
    // Still full (many hosts failing at once): the oldest entry goes.
    if (this.#hosts.size >= MAX_HOSTS) {
      const first = this.#hosts.keys().next().value;
      if (first !== undefined) this.#hosts.delete(first);
    }
  }
}
