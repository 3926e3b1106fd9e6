import { randomBytes } from 'node:crypto';
import { createHub, type Hub, LocalEngine, MemoryStore } from '@tidings/hub';
import { OutageStore, SseReader } from '@tidings/test-support';
import { createPictureFrame, type PictureFrame, type PictureFrameOptions } from '../../src/server.js';
import { FRAME_TOPIC } from '../../src/topic.js';

/** The frame on a real hub listening on loopback, and a page's view of the frame topic. */
export interface FrameOnHub {
  readonly hub: Hub;
  readonly frame: PictureFrame;
  /** The hub's history: `down()` makes every publish fail as a store outage would (503). */
  readonly store: OutageStore;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** A subscriber to the frame topic over loopback, opened before the first request: what a page gets. */
  readonly page: SseReader;
  /**
   * Publishes a sentinel on the frame topic and waits for the page to receive it. Delivery follows
   * history order on one connection, so whatever the frame published before has arrived by then:
   * "nothing was broadcast" is read from what came before the sentinel, not after a sleep.
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires the frame to a real hub as app.ts's startPictureFrame does (the frame is the hub's
 * fallback and publishes in-process; anyone subscribes; a publisher key nobody knows closes HTTP
 * publishing), with the two seams a route test needs: the frame's options (its rate limiter's
 * clock among them) and a store that can be taken down. startPictureFrame itself runs in the
 * browser tests (main.ts in a child process).
 */
export async function startFrameOnHub(options: PictureFrameOptions): Promise<FrameOnHub> {
  const store = new OutageStore(new MemoryStore());
  const frame = createPictureFrame(options);
  const hub = await createHub({
    engine: new LocalEngine(store),
    anonymous: true,
    publisherKeys: [randomBytes(32).toString('base64url')],
    heartbeatMs: 0,
    fallback: frame.handle,
  });
  frame.attach(hub);
  const { port } = await hub.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const page = await SseReader.open(`${base}/.well-known/mercure?match=${encodeURIComponent(FRAME_TOPIC)}`);
  let fences = 0;
  return {
    hub,
    frame,
    store,
    base,
    page,
    async fence() {
      const id = await hub.publish({ topics: [FRAME_TOPIC], type: 'fence', data: `fence ${++fences}` });
      await page.waitForId(id, 15_000);
    },
    async close() {
      frame.close();
      page.close();
      await hub.close();
    },
  };
}
