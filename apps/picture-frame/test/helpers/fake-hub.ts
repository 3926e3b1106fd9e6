import type { FrameHub, FramePublish, FrameSubscription } from '../../src/frame-hub.js';

/** A stand-in for the hub in unit tests: records publishes, lets the test drive subscriptions. */
export class FakeHub implements FrameHub {
  readonly published: (FramePublish & { id: string })[] = [];
  readonly subs: FrameSubscription[] = [];
  readonly #listeners = new Set<(s: FrameSubscription) => void>();
  fail: Error | undefined;
  #n = 0;

  async publish(init: FramePublish): Promise<string> {
    if (this.fail) throw this.fail;
    const id = `urn:uuid:fake-${++this.#n}`;
    this.published.push({ ...init, id });
    return id;
  }

  subscriptions(): readonly FrameSubscription[] {
    return this.subs;
  }

  onSubscriptionChange(listener: (s: FrameSubscription) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  subscribe(match: string): FrameSubscription {
    const s = { match, active: true };
    this.subs.push(s);
    for (const l of this.#listeners) l(s);
    return s;
  }

  unsubscribe(s: FrameSubscription): void {
    this.subs.splice(this.subs.indexOf(s), 1);
    const gone = { match: s.match, active: false };
    for (const l of this.#listeners) l(gone);
  }

  ofType(type: string) {
    return this.published.filter((p) => p.type === type);
  }
}
