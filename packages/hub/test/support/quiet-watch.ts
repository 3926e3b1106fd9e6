import assert from 'node:assert/strict';
import type { EventSourceMessage } from 'eventsource-parser';
import type { HubFixture } from './hub-fixture.js';
import { SseReader } from './sse-reader.js';

/**
 * Two honest subscribers on `*` (one granted every private update, one anonymous) that every
 * bad-input test keeps open. `quietly` runs a rejected request, then publishes a sentinel: since
 * delivery follows history order, if the rejected request had dispatched anything it would show
 * up before the sentinel. Both subscribers must see exactly the sentinel, and stay connected.
 */
export class QuietWatch {
  readonly #fx: HubFixture;
  readonly #publishHeaders: Record<string, string>;
  readonly granted: SseReader;
  readonly anonymous: SseReader;
  #n = 0;

  private constructor(
    fx: HubFixture,
    publishHeaders: Record<string, string>,
    granted: SseReader,
    anonymous: SseReader,
  ) {
    this.#fx = fx;
    this.#publishHeaders = publishHeaders;
    this.granted = granted;
    this.anonymous = anonymous;
  }

  static async open(
    fx: HubFixture,
    publishHeaders: Record<string, string>,
    subscriberHeaders: Record<string, string>,
  ): Promise<QuietWatch> {
    const granted = await SseReader.open(`${fx.url}?match=*`, subscriberHeaders);
    const anonymous = await SseReader.open(`${fx.url}?match=*`);
    await waitUntil(() => fx.hub.subscriberCount === 2, 'the two watchers are the only subscribers');
    assert.equal(granted.response.status, 200);
    assert.equal(anonymous.response.status, 200);
    return new QuietWatch(fx, publishHeaders, granted, anonymous);
  }

  /** Runs `rejected` (which does its own assertions) and checks that it dispatched nothing. */
  async quietly<T>(rejected: () => Promise<T>): Promise<T> {
    // A fence first: whatever was accepted before has arrived once its sentinel has.
    await this.settle();
    const before = [this.granted.events.length, this.anonymous.events.length] as const;
    const result = await rejected();
    const id = await this.sentinel();
    for (const [reader, n] of [
      [this.granted, before[0]],
      [this.anonymous, before[1]],
    ] as const) {
      const events = await reader.waitFor(n + 1, 15_000);
      assert.deepEqual(
        events.slice(n).map((e) => e.id),
        [id],
        'a rejected request dispatched nothing: the next event is the sentinel',
      );
    }
    return result;
  }

  /** Publishes a sentinel and waits until both subscribers have it. */
  async settle(): Promise<void> {
    // Subscriptions opened by a test must be gone (their "inactive" subscription events sent).
    await waitUntil(() => this.#fx.hub.subscriberCount === 2, 'only the two watchers are subscribed');
    const id = await this.sentinel();
    for (const reader of [this.granted, this.anonymous]) {
      await waitUntil(() => reader.events.at(-1)?.id === id, `sentinel ${id} received`);
    }
  }

  /** Publishes a public sentinel and returns its id. */
  async sentinel(): Promise<string> {
    const id = `sentinel-${process.pid}-${++this.#n}-${Date.now()}`;
    const res = await this.#fx.publish(
      { topic: 'https://example.com/sentinel', data: id, id },
      this.#publishHeaders,
    );
    assert.equal(res.status, 200, `sentinel publish: ${res.body}`);
    return id;
  }

  /** Events received since index `from` by the granted subscriber. */
  since(from: number): EventSourceMessage[] {
    return this.granted.events.slice(from);
  }

  close(): void {
    this.granted.close();
    this.anonymous.close();
  }
}

export async function waitUntil(ok: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
