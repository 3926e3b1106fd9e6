import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LatencyHistogram } from './latency-histogram.js';
import type { PublishLedger } from './publish-ledger.js';

const PUBLISH_TIMEOUT_MS = 10_000;

/** How long the hub was stopped (`--pause-hub`) between two times of the soak's clock, in ms. */
export type StoppedBetween = (from: number, to: number) => number;

/**
 * POSTs a form; resolves with the status and body (status 0 and the error code when there was no
 * answer). The timeout counts only the time the hub was running: a publish in flight while the
 * hub is stopped is waited for, and it is unanswered only if the running hub leaves it unanswered.
 */
export function postForm(
  port: number,
  form: string,
  agent?: Agent,
  paused?: { readonly stoppedBetween: StoppedBetween; readonly now: () => number },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let since = paused?.now() ?? 0;
    let ranMs = 0;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/.well-known/mercure',
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(form),
        },
        timeout: PUBLISH_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: e.code ?? e.message }));
      },
    );
    req.on('timeout', () => {
      if (paused !== undefined) {
        const t = paused.now();
        ranMs += t - since - paused.stoppedBetween(since, t);
        since = t;
        if (ranMs < PUBLISH_TIMEOUT_MS) {
          req.setTimeout(Math.max(1, Math.ceil(PUBLISH_TIMEOUT_MS - ranMs)));
          return;
        }
      }
      req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: e.code ?? e.message }));
    req.end(form);
  });
}

/**
 * Steady publishing: one loop per topic, each with one publish in flight, together `rate` per
 * second. Each update's data is `<topic> <seq> <sent at, ms> <padding>`: subscribers check the
 * sequence and measure the delivery latency from it.
 */
export class SoakPublisher {
  readonly #port: number;
  readonly #ledger: PublishLedger;
  readonly #rate: number;
  readonly #padding: string;
  readonly #topicUrl: (t: number) => string;
  readonly #now: () => number;
  readonly #stoppedBetween: StoppedBetween;
  readonly #agent: Agent;
  readonly #loops: Promise<void>[] = [];
  #stopped = false;
  /** Publish round trips (acknowledged only) since the last `takeInterval`, and in total. */
  readonly interval = new LatencyHistogram();
  readonly total = new LatencyHistogram();
  /** Answers other than 200, by status, or by error code when there was no answer. */
  readonly failures = new Map<string, number>();
  /**
   * Publishes left without any answer (reset, timeout) that were in flight while the hub was
   * stopped, by error code: a timer of the hub came due while it was frozen (its 5 s keep-alive
   * timeout runs before the unread request is read). Counted apart from `failures`.
   */
  readonly failuresAcrossPause = new Map<string, number>();
  /** How far behind its schedule the publisher fell at worst (ms): the client's own health. */
  worstLagMs = 0;

  constructor(init: {
    port: number;
    ledger: PublishLedger;
    rate: number;
    padding: number;
    topicUrl: (t: number) => string;
    now: () => number;
    /** When the hub was stopped on purpose (none by default). */
    stoppedBetween?: StoppedBetween;
  }) {
    this.#port = init.port;
    this.#ledger = init.ledger;
    this.#rate = init.rate;
    this.#padding = 'p'.repeat(init.padding);
    this.#topicUrl = init.topicUrl;
    this.#now = init.now;
    this.#stoppedBetween = init.stoppedBetween ?? (() => 0);
    // fifo: every kept-alive connection is used in turn, so none sits idle until the hub's
    // keep-alive timeout closes it just as a request goes out on it.
    this.#agent = new Agent({ keepAlive: true, maxSockets: init.ledger.topics, scheduling: 'fifo' });
  }

  start(): void {
    const topics = this.#ledger.topics;
    const every = (topics / this.#rate) * 1000;
    const t0 = this.#now();
    for (let t = 0; t < topics; t++) this.#loops.push(this.#loop(t, t0 + (t / topics) * every, every));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    this.#agent.destroy();
  }

  async #loop(topic: number, first: number, every: number): Promise<void> {
    const topicUrl = encodeURIComponent(this.#topicUrl(topic));
    let next = first;
    while (!this.#stopped) {
      const wait = next - this.#now();
      if (wait > 0) await sleep(wait);
      else this.worstLagMs = Math.max(this.worstLagMs, -wait);
      if (this.#stopped) break;
      const seq = this.#ledger.begin(topic);
      const sentAt = this.#now();
      const data = `${topic} ${seq} ${sentAt.toFixed(3)} ${this.#padding}`;
      const { status, body } = await postForm(
        this.#port,
        `topic=${topicUrl}&data=${encodeURIComponent(data)}`,
        this.#agent,
        { stoppedBetween: this.#stoppedBetween, now: this.#now },
      );
      const ok = status === 200;
      this.#ledger.settle(topic, seq, ok);
      if (ok) {
        const rtt = this.#now() - sentAt;
        this.interval.record(rtt);
        this.total.record(rtt);
      } else {
        const key = status === 0 ? body : String(status);
        const map =
          status === 0 && this.#stoppedBetween(sentAt, this.#now()) > 0
            ? this.failuresAcrossPause
            : this.failures;
        map.set(key, (map.get(key) ?? 0) + 1);
      }
      next += every;
      // Never burst to catch up more than one period: the rate stays steady.
      if (next < this.#now() - every) next = this.#now();
    }
  }
}
