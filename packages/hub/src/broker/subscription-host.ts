import { payloadFor } from '../auth/payload-for.js';
import type { Metrics } from '../ops/metrics.js';
import type { Selector } from '../selector/selector.js';
import type { CloseReason } from '../stream/sink.js';
import type { Broker } from './broker.js';
import { RateGroups } from './rate-groups.js';
import type { ConflatePolicy, Subscriber, SubscriberHost } from './subscriber.js';
import { type SubscriptionInfo, subscriptionInfo } from './subscription-info.js';

/** Distinct selector lists shared (`intern`); past this, the table starts over. */
const SHARED_LISTS = 1024;

export interface SubscriptionHostOptions {
  readonly broker: Broker;
  readonly metrics: Metrics;
  /** limits.maxQueueEvents: the bound of a conflation's waiting topics too. */
  readonly maxQueueEvents: number;
  /** Topics conflated for everyone (HubOptions.conflate), compiled. */
  readonly conflate: { readonly selectors: readonly Selector[]; readonly maxRate: number } | undefined;
  /** Announces a subscription change (subscription event + in-process listeners). */
  readonly announce: (info: SubscriptionInfo) => void;
}

/**
 * What every subscription of one hub shares, whatever its transport (one per hub, in its
 * HubContext): the selector lists interned, the rate groups of conflation, and what a sink's end
 * undoes: the registration goes, exactly once, and the subscriptions it announced end too.
 */
export class SubscriptionHost implements SubscriberHost {
  readonly #opts: SubscriptionHostOptions;
  readonly #lists = new Map<string, readonly Selector[]>();
  /** Maximum rates (broker/conflation.ts): the subscribers of one rate share one timer. */
  readonly rates: RateGroups;
  readonly conflate: ConflatePolicy | undefined;

  constructor(opts: SubscriptionHostOptions) {
    this.#opts = opts;
    this.rates = new RateGroups(opts.maxQueueEvents);
    const policy = opts.conflate;
    if (policy !== undefined && policy.selectors.length > 0) {
      this.conflate = {
        covers: (u) => policy.selectors.some((s) => s.matches(u.topics[0]!)),
        start: () => this.rates.conflation(policy.maxRate),
      };
    }
  }

  /**
   * The same selector list for every subscriber that asked for the same selectors (compiled
   * selectors are shared already: `compileSelector` caches them): one array, not one each.
   */
  intern(selectors: readonly Selector[]): readonly Selector[] {
    let key = '';
    for (const s of selectors) key += `${s.type}\n${s.raw}\0`;
    const known = this.#lists.get(key);
    if (known !== undefined) return known;
    if (this.#lists.size >= SHARED_LISTS) this.#lists.clear();
    const list = Object.freeze([...selectors]);
    this.#lists.set(key, list);
    return list;
  }

  /** A sink ended: the registration goes (once: `Broker.remove` says whether it was there). */
  closed(sub: Subscriber, reason: CloseReason): void {
    const { broker, metrics, announce } = this.#opts;
    if (!broker.remove(sub)) return;
    sub.dispose();
    if (reason !== 'client') metrics.drop(reason);
    // Only what was announced is announced gone: every listing entry has exactly one end.
    if (sub.announced) for (const info of infosOf(sub, false)) announce(info);
  }
}

/** The Active Subscriptions entries of a subscriber: one per selector (Mercure "Active Subscriptions"). */
export function infosOf(sub: Subscriber, active = true): SubscriptionInfo[] {
  return sub.selectors.map((s) =>
    subscriptionInfo(s.type, s.raw, sub.id, active, payloadFor(sub.principal, s.raw)),
  );
}
