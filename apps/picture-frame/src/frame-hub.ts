/**
 * The part of the Tidings hub the Picture Frame uses (structurally a subset of `Hub` from
 * @tidings/hub), so the server can be tested against a fake as well as the real hub.
 */
export interface FramePublish {
  topics: string[];
  data: string;
  type?: string;
  id?: string;
  private?: boolean;
  retry?: number;
}

export interface FrameSubscription {
  readonly match: string;
  readonly active: boolean;
}

export interface FrameHub {
  /** Resolves with the event id once stored (and so broadcast in history order). */
  publish(init: FramePublish): Promise<string>;
  /** Mercure Active Subscriptions. */
  subscriptions(): readonly FrameSubscription[];
  onSubscriptionChange(listener: (s: FrameSubscription) => void): () => void;
}

/** Reads history, structurally the hub's HistoryStore (for recovering the current picture). */
export interface HistoryReader {
  readAfter(
    afterId: string,
    limit: number,
  ): Promise<{
    readonly found: boolean;
    readonly updates: readonly {
      readonly id: string;
      readonly type?: string | undefined;
      readonly topics: readonly string[];
      readonly data: string;
    }[];
    readonly more: boolean;
  }>;
}

export interface FrameLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One JSON line per event on stderr, the shape pino writes. */
export const jsonLogger: FrameLogger = {
  info: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), ...obj, msg })}\n`),
  warn: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), ...obj, msg })}\n`),
  error: (obj, msg) =>
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), ...obj, msg })}\n`),
};

export const silentLogger: FrameLogger = { info() {}, warn() {}, error() {} };
