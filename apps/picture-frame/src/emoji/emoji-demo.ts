import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createUpdate, type Hub } from '@tidings/hub';
import type { FrameLogger } from '../frame-hub.js';
import { pageCsp, setCommonHeaders } from '../security-headers.js';
import { DETAIL_TOPIC_PREFIX, SCORES_TOPIC } from './topics.js';
import { EmojiTracker, type TrackerOptions } from './tracker.js';

export interface EmojiDemoOptions extends Omit<TrackerOptions, 'publish'> {
  readonly log: FrameLogger;
}

export interface EmojiDemo {
  readonly tracker: EmojiTracker;
  /** Answers /emoji, /emoji/ and /emoji/api/*; false for any other path (the frame's). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): void;
}

/**
 * The emojitracker demo at /emoji (page in public/emoji/): a built-in feeder, a 60 Hz roll-up,
 * score and detail topics on the same hub as the Picture Frame.
 *
 * Its updates are broadcast, not kept in history: thousands a second would push the frame's
 * pictures out of the shared history within seconds, and every score update holds all totals
 * anyway (GET /emoji/api/totals serves them to a page that opens).
 */
export function startEmojiDemo(hub: Hub, o: EmojiDemoOptions): EmojiDemo {
  const publish = (topic: string, data: string): void => {
    const update = createUpdate({ topics: [topic], data, private: false, id: `urn:uuid:${randomUUID()}` });
    const sent =
      hub.engine.broadcast !== undefined
        ? hub.engine.broadcast(update)
        : hub.publish({ topics: [topic], data }).then(() => undefined);
    sent.catch((err: unknown) => o.log.error({ err: String(err) }, 'emoji update lost'));
  };
  const tracker = new EmojiTracker({ ...o, publish });
  tracker.start();
  const csp = pageCsp([]);

  return {
    tracker,
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/emoji' || path === '/emoji/') {
        setCommonHeaders(res, csp);
        // The query is echoed into Location: WHATWG URL parsing percent-encodes it to visible
        // ASCII, so nothing the client sent can reach the head raw.
        const query = new URL(req.url ?? '/', 'http://emoji.invalid').search;
        res.writeHead(302, { Location: `/emoji/index.html${query}`, 'Cache-Control': 'no-store' });
        res.end();
        return true;
      }
      if (path === '/emoji/api/totals') {
        setCommonHeaders(res, "default-src 'none'; frame-ancestors 'none'");
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('method not allowed\n');
          return true;
        }
        const body = JSON.stringify({
          ...tracker.snapshot(),
          scoresTopic: SCORES_TOPIC,
          detailTopicPrefix: DETAIL_TOPIC_PREFIX,
        });
        res.writeHead(200, {
          'Content-Type': 'application/json; charset=utf-8',
          'Cache-Control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return true;
      }
      return false;
    },
    close() {
      tracker.stop();
    },
  };
}
