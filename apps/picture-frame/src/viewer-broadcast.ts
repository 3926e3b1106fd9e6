import type { FrameHub, FrameLogger } from './frame-hub.js';
import type { Picture, ViewersEvent } from './picture.js';
import { VIEWERS_EVENT } from './topic.js';

export const DEFAULT_VIEWERS_COALESCE_MS = 250;

export interface ViewerBroadcastOptions {
  readonly hub: FrameHub;
  readonly topic: string;
  /** The picture on show: carried in each viewers event, so history's newest event has it. */
  readonly current: () => Picture | null;
  /** Subscription changes within this window make one event (emojitracker-style coalescing). */
  readonly coalesceMs?: number;
  readonly log: FrameLogger;
}

export interface ViewerBroadcast {
  /** Active subscriptions to the topic right now. */
  count(): number;
  /** Publishes now if the count changed since the last event (tests and shutdown). */
  flush(): Promise<void>;
  stop(): void;
}

/**
 * The live viewer count: the number of active subscriptions (Mercure Active Subscriptions) to
 * the frame's topic, one per open page. On every subscribe or unsubscribe, after a short
 * coalescing delay, a `viewers` event is published on the topic when the count changed.
 */
export function startViewerBroadcast(o: ViewerBroadcastOptions): ViewerBroadcast {
  const coalesceMs = o.coalesceMs ?? DEFAULT_VIEWERS_COALESCE_MS;
  let timer: NodeJS.Timeout | undefined;
  let lastSent: number | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const count = () => o.hub.subscriptions().filter((s) => s.active && s.match === o.topic).length;

  const publishIfChanged = async () => {
    const n = count();
    if (n === lastSent || stopped) return;
    const event: ViewersEvent = { viewers: n, current: o.current() };
    try {
      await o.hub.publish({ topics: [o.topic], type: VIEWERS_EVENT, data: JSON.stringify(event) });
      lastSent = n;
    } catch (err) {
      o.log.warn({ err: String(err) }, 'could not publish the viewer count');
    }
  };

  // One publish at a time, in order: the last event always carries the latest count.
  const flush = () => {
    running = running.then(publishIfChanged);
    return running;
  };

  const unsubscribe = o.hub.onSubscriptionChange((s) => {
    if (s.match !== o.topic || stopped) return;
    if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, coalesceMs);
      timer.unref();
    }
  });

  return {
    count,
    flush,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      unsubscribe();
    },
  };
}
