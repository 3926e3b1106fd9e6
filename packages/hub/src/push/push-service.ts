import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { type Authenticator, grants, type Principal } from '../auth/principal.js';
import type { Presence } from '../broker/presence.js';
import { isHubError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { Update } from '../model/update.js';
import { compileSelector } from '../selector/compile-selector.js';
import type { SelectorLimits } from '../selector/selector.js';
import type { PushRecord } from '../store/push-record.js';
import type { PushStore } from '../store/push-store.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { PushMetrics } from './push-metrics.js';
import type { PushConfig } from './push-options.js';
import { pushPayload, topicHeader } from './push-payload.js';
import { PushQueue } from './push-queue.js';
import { PushRequester } from './push-request.js';

export interface PushServiceParts {
  readonly config: PushConfig;
  readonly limits: Readonly<Limits>;
  readonly store: PushStore;
  readonly presence: Presence;
  readonly authenticator: Authenticator;
  readonly selectorLimits: SelectorLimits;
  /** Anonymous subscribers allowed: a subscription without a token may be pushed public updates. */
  readonly anonymous: boolean;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Updates waiting to be matched against push subscriptions; past this they are not pushed (counted). */
const MAX_INTAKE = 1024;

/**
 * Web Push for subscribers who are not connected (docs/push.md). After a publish is
 * acknowledged, `published` hands the update over and returns at once; a worker then finds the
 * push subscriptions it matches, checks each one's token again (still valid, still granting a
 * private update's topic), leaves out those whose owner has a live stream anywhere (presence.ts),
 * and queues one encrypted message each (push-queue.ts). Publishing never waits for any of it.
 */
export class PushService {
  readonly store: PushStore;
  readonly presence: Presence;
  readonly metrics = new PushMetrics();
  readonly #p: PushServiceParts;
  readonly #queue: PushQueue;
  readonly #breakers: CircuitBreakers;
  readonly #requester: PushRequester;
  readonly #intake: Update[] = [];
  #working: Promise<void> | undefined;
  #closed = false;
  /** The store's count, refreshed after each change (the gauge of /metrics reads it synchronously). */
  #count = 0;
  readonly #hubUrl: URL;

  constructor(parts: PushServiceParts) {
    this.#p = parts;
    this.store = parts.store;
    this.presence = parts.presence;
    this.#hubUrl = new URL(parts.selectorLimits.hubUrl);
    this.#breakers = new CircuitBreakers(
      parts.config.breakerFailures,
      parts.config.breakerCooldownMs,
      parts.now,
    );
    this.#requester = new PushRequester(parts.config.vapid, parts.config.subject);
    this.#queue = new PushQueue(
      {
        maxQueued: parts.limits.maxPushQueue,
        concurrency: parts.limits.pushConcurrency,
        timeoutMs: parts.limits.pushTimeoutMs,
        maxAttempts: parts.limits.maxPushAttempts,
        retryBaseMs: parts.config.retryBaseMs,
        retryMaxMs: parts.config.retryMaxMs,
        now: parts.now,
      },
      {
        requester: this.#requester,
        breakers: this.#breakers,
        metrics: this.metrics,
        logger: parts.logger,
        gone: (record) => this.#remove(record, 'gone'),
      },
    );
    this.refreshCount();
  }

  get config(): PushConfig {
    return this.#p.config;
  }

  /** The VAPID public key pages subscribe with (`applicationServerKey`). */
  get publicKey(): string {
    return this.#p.config.vapid.publicKey;
  }

  /** An update was published and acknowledged. Never throws, never waits. */
  published(update: Update): void {
    if (this.#closed) return;
    if (this.#intake.length >= MAX_INTAKE) {
      this.metrics.fail('queue_full');
      return;
    }
    this.#intake.push(update);
    this.#working ??= this.#work().finally(() => {
      this.#working = undefined;
    });
  }

  /** Resolves once every update handed over is matched and every queued message settled (tests). */
  async idle(): Promise<void> {
    while (this.#working !== undefined) await this.#working;
    await this.#queue.idle();
  }

  refreshCount(): void {
    this.store.count().then(
      (n) => {
        this.#count = n;
      },
      () => {},
    );
  }

  renderMetrics(): string {
    return this.metrics.render({
      queued: this.#queue.size,
      subscriptions: this.#count,
      openBreakers: this.#breakers.openCount(),
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#intake.length = 0;
    await this.#working?.catch(() => {});
    this.#queue.close();
    this.#requester.close();
    await this.presence.close().catch(() => {});
    await this.store.close().catch(() => {});
  }

  async #work(): Promise<void> {
    while (!this.#closed && this.#intake.length > 0) {
      const update = this.#intake.shift()!;
      try {
        await this.#deliver(update);
      } catch (err) {
        // The store or the presence board failed: this update's pushes are lost, said once.
        this.#p.logger.warn({ err: (err as Error).message, id: update.id }, 'push: an update was not pushed');
      }
    }
  }

  async #deliver(update: Update): Promise<void> {
    const candidates = await this.store.candidates(update.topics);
    if (candidates.length === 0) return;
    const now = this.#p.now();
    const eligible: PushRecord[] = [];
    for (const record of candidates) {
      if (this.#closed) return;
      if (!this.#selects(record, update)) continue;
      if (record.types !== undefined && !record.types.includes(update.type ?? 'message')) continue;
      if (
        (record.expiresAt !== undefined && record.expiresAt <= now) ||
        (record.subscription.expirationTime !== null && record.subscription.expirationTime <= now)
      ) {
        this.#remove(record, 'expired');
        continue;
      }
      const principal = await this.#principal(record);
      if (principal === null) continue;
      if (!this.#mayRead(record, principal, update)) {
        this.metrics.skip('forbidden');
        continue;
      }
      eligible.push(record);
    }
    if (eligible.length === 0) return;
    let online: Set<string>;
    try {
      online = await this.presence.online([...new Set(eligible.map((r) => r.presence))]);
    } catch (err) {
      // Presence unknown (the cluster's board unreachable): pushing a page that may be open beats
      // losing a notification for one that is closed.
      this.#p.logger.warn({ err: (err as Error).message }, 'push: presence unknown, pushing to all');
      online = new Set();
    }
    const { config } = this.#p;
    const payload = pushPayload(update);
    const topic = config.replaceByTopic ? topicHeader(update.topics[0]!) : undefined;
    for (const record of eligible) {
      if (online.has(record.presence)) {
        this.metrics.skip('online');
        continue;
      }
      this.#queue.offer(record, {
        subscription: record.subscription,
        payload,
        ttlSeconds: config.ttlSeconds,
        urgency: config.urgency,
        topic,
      });
    }
  }

  /** Routing: one of the record's selectors matches one of the update's topics. */
  #selects(record: PushRecord, update: Update): boolean {
    for (const s of record.selectors) {
      const selector = compileSelector(s.type, s.raw, this.#p.selectorLimits);
      for (const t of update.topics) if (selector.matches(t)) return true;
    }
    return false;
  }

  /**
   * The record's token verified again, now: undefined for an anonymous record, null when the
   * token no longer passes (expired, or signed by a key the hub no longer accepts: revoked), in
   * which case the record is removed.
   */
  async #principal(record: PushRecord): Promise<Principal | undefined | null> {
    if (record.token === undefined) return undefined;
    const req = { headers: { authorization: `Bearer ${record.token}` } } as unknown as IncomingMessage;
    try {
      return await this.#p.authenticator.authenticate(req, this.#hubUrl, 'subscriber');
    } catch (err) {
      if (!isHubError(err)) throw err;
      this.#remove(record, 'token');
      return null;
    }
  }

  /** Mercure "Authorization", as for a stream: private updates only where the token grants a topic. */
  #mayRead(record: PushRecord, principal: Principal | undefined, update: Update): boolean {
    if (principal === undefined && !this.#p.anonymous) return false;
    if (!update.private) return true;
    return (
      principal !== undefined && grants(principal.subscribe, update.topics) && record.token !== undefined
    );
  }

  #remove(record: PushRecord, reason: 'gone' | 'token' | 'expired'): void {
    this.metrics.remove(reason);
    this.store.remove(record.id, record.createdAt).then(
      () => this.refreshCount(),
      (err: unknown) =>
        this.#p.logger.warn({ err: (err as Error).message }, 'push: removing a subscription failed'),
    );
  }
}
