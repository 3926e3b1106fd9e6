import type { CursorStorage } from './cursor-store.js';

/** Request headers, or a function giving them (called before every connection and reconnection). */
export type HeadersSource =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

/** The second argument of `new TidingsEventSource(url, init)`: `EventSourceInit` and more. */
export interface TidingsEventSourceInit {
  /** As EventSource: send cookies cross-origin (`credentials: 'include'`). Default false. */
  readonly withCredentials?: boolean;
  /** Headers for the request, e.g. `Authorization`; a function is called at every (re)connect, and again once after a 401. */
  readonly headers?: HeadersSource;
  /** One stream per browser for this URL, shared by the origin's tabs. Default true. */
  readonly share?: boolean;
  /** Where the last event ID is kept per URL so a reload resumes: `session` (default), `local`, or false. */
  readonly cursor?: CursorStorage;
  /** Where to start when no cursor is stored: sent as `Last-Event-ID` on the first connection. */
  readonly lastEventId?: string;
  /** The reconnection time before the hub sends `retry`, in ms. Default 3000. */
  readonly retry?: number;
  /** The longest wait between attempts with backoff, in ms. Default 30000. */
  readonly maxRetry?: number;
  /** A stream open this long (ms) resets the backoff. Default 10000. */
  readonly healthyAfter?: number;
  /** Renew the connection this long (ms, at most a quarter of the token's life) before a bearer token's `exp`. Default 30000. */
  readonly refreshBeforeExpiry?: number;
  /** Close the stream while the page is hidden, resume from the cursor when shown. Default false. */
  readonly pauseWhenHidden?: boolean;
  /** Events a sharing tab keeps for tabs that join (and to drop repeats by id). Default 100. */
  readonly shareHistory?: number;
  /**
   * When no byte of the stream arrives within this many ms (a proxy buffering it: the hub sends
   * its first bytes at once and a heartbeat every 15 s), switch to long polls of the same URL, with
   * the same events, ids and cursor (Tidings hubs). Default 20000; 0 never switches.
   */
  readonly fallbackAfter?: number;
  /** Seconds each long poll may wait for news (at most the hub's `maxPollWaitMs`). Default 25. */
  readonly pollWait?: number;
  /** The fetch to use. Default: the global one. */
  readonly fetch?: typeof fetch;
}
