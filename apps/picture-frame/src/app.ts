import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  createEngine,
  createHub,
  generateVapidKeys,
  type Hub,
  loadOrCreateVapidKeys,
  type PushOptions,
  type TlsCredentials,
} from '@tidings/hub';
import { recoverCurrentPicture } from './current-picture.js';
import { type EmojiDemo, type EmojiDemoOptions, startEmojiDemo } from './emoji/emoji-demo.js';
import type { FrameLogger } from './frame-hub.js';
import { jsonLogger } from './frame-hub.js';
import type { ImageProvider } from './providers/provider.js';
import { createRateLimiter } from './rate-limiter.js';
import { createPictureFrame, type PictureFrame } from './server.js';
import { FRAME_TOPIC } from './topic.js';
import {
  startTransportsDemo,
  type TransportsDemo,
  type TransportsDemoOptions,
} from './transports-demo/transports-demo.js';

/** Pictures and viewer counts kept in history. */
export const DEFAULT_HISTORY_SIZE = 1000;

export interface StartOptions {
  readonly port: number;
  /** Default 127.0.0.1; 0.0.0.0 to reach the frame from a phone on the same network. */
  readonly host?: string | undefined;
  /** The hub's durable history folder; undefined keeps history in memory only. */
  readonly dataDir?: string | undefined;
  readonly historySize?: number;
  readonly provider: ImageProvider;
  readonly searchBurst?: number;
  readonly searchesPerMinute?: number;
  readonly maxKeywordLength?: number;
  readonly log?: FrameLogger;
  readonly viewersCoalesceMs?: number;
  /** HTTPS on the port (HTTP/2 and HTTP/1.1, by ALPN); undefined: plain HTTP (HTTP/1.1, and h2c). */
  readonly tls?: TlsCredentials | undefined;
  /**
   * Web Push options over the frame's own (tests allow a push service on loopback). The VAPID
   * pair is kept in the data folder (`vapid.json`), so browsers stay subscribed across restarts.
   */
  readonly push?: Partial<PushOptions>;
  /** The emojitracker demo at /emoji (src/emoji/): its feeder's options, or false for none. Default on. */
  readonly emoji?: Omit<EmojiDemoOptions, 'log'> | false;
  /** The transports demo at /transports (src/transports-demo/): its ticker's options, or false for none. Default on. */
  readonly transports?: Omit<TransportsDemoOptions, 'log'> | false;
}

export interface RunningFrame {
  readonly hub: Hub;
  readonly frame: PictureFrame;
  readonly port: number;
  /** Where to open the frame. */
  readonly url: string;
  /** True when history survives a restart (the embedded store). */
  readonly durable: boolean;
  /** The emojitracker demo, unless turned off. */
  readonly emoji: EmojiDemo | undefined;
  /** The transports demo, unless turned off. */
  readonly transports: TransportsDemo | undefined;
  close(): Promise<void>;
}

/**
 * Starts the hub with the Picture Frame as its app: one server, one port. The page subscribes
 * to the hub's /.well-known/mercure; the frame publishes through the hub in-process.
 */
export async function startPictureFrame(o: StartOptions): Promise<RunningFrame> {
  const log = o.log ?? jsonLogger;
  const historySize = o.historySize ?? DEFAULT_HISTORY_SIZE;
  // The hub's embedded durable store (LMDB) when a data folder is given; memory otherwise.
  const engine =
    o.dataDir !== undefined ? await createEngine({ dataDir: o.dataDir, historySize }) : undefined;
  const initialPicture = engine ? await recoverCurrentPicture(engine.history, FRAME_TOPIC) : null;
  const frame = createPictureFrame({
    provider: o.provider,
    rateLimiter: createRateLimiter({ burst: o.searchBurst, perMinute: o.searchesPerMinute }),
    maxKeywordLength: o.maxKeywordLength,
    initialPicture,
    log,
    viewersCoalesceMs: o.viewersCoalesceMs,
  });
  const hub = await createHub({
    ...(engine !== undefined && { engine }),
    historySize,
    // Anyone may watch the frame...
    anonymous: true,
    // ...but only the frame publishes: a key nobody knows closes the hub's HTTP publish route,
    // so pictures (and their URLs) can only come from a provider through POST /search.
    publisherKeys: [randomBytes(32).toString('base64url')],
    ...(o.tls !== undefined && { tls: o.tls }),
    // A closed page is notified of new pictures (public/sw.js), and resumes from its cursor when opened.
    push: {
      vapid:
        o.dataDir !== undefined ? loadOrCreateVapidKeys(join(o.dataDir, 'vapid.json')) : generateVapidKeys(),
      subject: 'mailto:picture-frame@tidings.invalid',
      // Only the newest picture matters: a pending one is replaced at the push service.
      replaceByTopic: true,
      ...o.push,
    },
    // /emoji and /transports first (their own paths only), everything else is the frame's
    // (the transports page's files too: public/transports/).
    fallback: (req, res) => {
      if (emoji?.handle(req, res) === true || transports?.handle(req, res) === true) return;
      frame.handle(req, res);
    },
  });
  frame.attach(hub);
  const emoji = o.emoji === false ? undefined : startEmojiDemo(hub, { ...o.emoji, log });
  const transports = o.transports === false ? undefined : startTransportsDemo(hub, { ...o.transports, log });
  let address: { port: number };
  try {
    address = await hub.listen(o.port, o.host ?? '127.0.0.1');
  } catch (err) {
    frame.close();
    emoji?.close();
    transports?.close();
    await hub.close().catch(() => {});
    throw err;
  }
  const host = o.host === undefined || o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    hub,
    frame,
    port: address.port,
    url: `${o.tls === undefined ? 'http' : 'https'}://${shownHost}:${address.port}/`,
    durable: engine !== undefined,
    emoji,
    transports,
    async close() {
      frame.close();
      emoji?.close();
      transports?.close();
      await hub.close();
    },
  };
}
