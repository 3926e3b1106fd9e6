import type { Logger } from 'pino';
import type { PushRecord } from '../store/push-record.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { PushMetrics } from './push-metrics.js';
import type { PushMessage, PushRequester } from './push-request.js';

export interface PushQueueOptions {
  /** Messages waiting, retrying or in flight (limits.maxPushQueue). */
  readonly maxQueued: number;
  /** Requests in flight at once (limits.pushConcurrency). */
  readonly concurrency: number;
  /** Deadline of one request (limits.pushTimeoutMs). */
  readonly timeoutMs: number;
  /** Attempts per message (limits.maxPushAttempts). */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly now: () => number;
}

interface Job {
  readonly record: PushRecord;
  readonly message: PushMessage;
  readonly host: string;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The send side of push: a bounded queue drained by at most `concurrency` requests at once.
 * A push service is an unreliable peer, so: 404 and 410 remove the subscription (RFC 8030 7.3:
 * it has expired); 429 and 5xx, timeouts and network errors are retried with exponential backoff
 * and full jitter, never sooner than a `Retry-After` (RFC 8030 8.4), up to `maxAttempts`; each
 * host has a circuit breaker (circuit-breaker.ts). Nothing here is awaited by a publish: a full
 * queue drops the message (counted), it never blocks.
 */
export class PushQueue {
  readonly #o: PushQueueOptions;
  readonly #requester: PushRequester;
  readonly #breakers: CircuitBreakers;
  readonly #metrics: PushMetrics;
  readonly #logger: Logger;
  readonly #gone: (record: PushRecord) => void;
  readonly #ready: Job[] = [];
  #readyAt = 0;
  readonly #waiting = new Set<Job>();
  #inFlight = 0;
  #closed = false;
  readonly #idle: (() => void)[] = [];

  constructor(
    options: PushQueueOptions,
    parts: {
      requester: PushRequester;
      breakers: CircuitBreakers;
      metrics: PushMetrics;
      logger: Logger;
      /** The push service says the subscription is gone (404, 410). */
      gone: (record: PushRecord) => void;
    },
  ) {
    this.#o = options;
    this.#requester = parts.requester;
    this.#breakers = parts.breakers;
    this.#metrics = parts.metrics;
    this.#logger = parts.logger;
    this.#gone = parts.gone;
  }

  /** Messages waiting, retrying or in flight. */
  get size(): number {
    return this.#ready.length - this.#readyAt + this.#waiting.size + this.#inFlight;
  }

  /** Queues a message; false (and counted as failed, queue_full) when the queue is full. */
  offer(record: PushRecord, message: PushMessage): boolean {
    if (this.#closed) return false;
    if (this.size >= this.#o.maxQueued) {
      this.#metrics.fail('queue_full');
      return false;
    }
    const host = new URL(record.subscription.endpoint).host;
    this.#ready.push({ record, message, host, attempts: 0, timer: undefined });
    this.#pump();
    return true;
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    const dropped = this.#ready.length - this.#readyAt + this.#waiting.size;
    for (const job of this.#waiting) clearTimeout(job.timer);
    this.#waiting.clear();
    this.#ready.length = 0;
    this.#readyAt = 0;
    for (let i = 0; i < dropped; i++) this.#metrics.fail('shutdown');
    this.#settle();
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#o.concurrency && this.#readyAt < this.#ready.length) {
      const job = this.#ready[this.#readyAt++]!;
      if (this.#readyAt > 1024 && this.#readyAt * 2 > this.#ready.length) {
        this.#ready.splice(0, this.#readyAt);
        this.#readyAt = 0;
      }
      const wait = this.#breakers.admit(job.host);
      if (wait > 0) {
        // The host's breaker is open or it asked us to wait: no attempt is spent.
        this.#later(job, wait);
        continue;
      }
      this.#inFlight++;
      this.#attempt(job).finally(() => {
        this.#inFlight--;
        this.#pump();
        this.#settle();
      });
    }
    this.#settle();
  }

  async #attempt(job: Job): Promise<void> {
    job.attempts++;
    this.#metrics.attempts++;
    const answer = await this.#requester.send(job.message, this.#o.timeoutMs);
    const { status } = answer;
    if (status >= 200 && status < 300) {
      this.#breakers.succeeded(job.host);
      this.#metrics.sent++;
      return;
    }
    if (status === 404 || status === 410) {
      // The service works; this subscription does not (expired, or the user revoked permission).
      this.#breakers.succeeded(job.host);
      this.#gone(job.record);
      return;
    }
    if (status !== 0 && status !== 429 && status < 500) {
      // 400, 401, 403, 413: asking again would be answered the same.
      this.#breakers.succeeded(job.host);
      this.#metrics.fail('refused');
      this.#logger.warn({ status, host: job.host }, 'a push service refused a push');
      return;
    }
    const retryAfterMs = 'retryAfterMs' in answer ? answer.retryAfterMs : undefined;
    if (this.#breakers.failed(job.host, status === 429 ? (retryAfterMs ?? 0) : retryAfterMs)) {
      this.#logger.warn({ host: job.host }, 'push service failing: circuit breaker open');
    }
    if (job.attempts >= this.#o.maxAttempts) {
      this.#metrics.fail('attempts');
      this.#logger.debug(
        { host: job.host, status, error: 'error' in answer ? answer.error : undefined },
        'push given up after its last attempt',
      );
      return;
    }
    // A message asked to wait past its own TTL would be dropped by the push service anyway.
    if (retryAfterMs !== undefined && retryAfterMs > job.message.ttlSeconds * 1000) {
      this.#metrics.fail('expired');
      return;
    }
    const cap = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** (job.attempts - 1));
    // Full jitter: retries of many messages do not come back in one wave.
    const backoff = Math.max(this.#o.retryBaseMs / 2, Math.random() * cap);
    this.#later(job, Math.max(backoff, retryAfterMs ?? 0));
  }

  #later(job: Job, ms: number): void {
    this.#waiting.add(job);
    job.timer = setTimeout(() => {
      this.#waiting.delete(job);
      job.timer = undefined;
      if (this.#closed) return;
      this.#ready.push(job);
      this.#pump();
    }, ms);
    job.timer.unref();
  }

  #settle(): void {
    if (this.size > 0 || this.#idle.length === 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
