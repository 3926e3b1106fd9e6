import type { Update } from '../model/update.js';

/** Why a subscription's sink ended; every reason but `client` is a drop (`tidings_dropped_subscribers_total`). */
export type CloseReason =
  | 'client'
  | 'slow_consumer'
  | 'write_timeout'
  | 'lifetime'
  | 'token_expired'
  | 'shutdown'
  | 'error';

/**
 * How a transport turns updates into bytes. An update is encoded once per framing, never once
 * per subscriber: every subscriber on that framing is written the same bytes.
 */
export interface Framing {
  /**
   * The bytes of one update, asked for each subscriber it goes to (SSE: `update.chunk`, encoded
   * once when the update was made). Another framing encodes once per update too: it keeps its
   * bytes beside the update (a `WeakMap<Update, Buffer>` of the framing's own) rather than
   * encoding again for every subscriber.
   */
  event(update: Update): Buffer;
  /**
   * True when `event(u)` is `u.chunk`: the broker then writes the updates of one event-loop
   * turn to all such sinks as one shared concatenation (broker/write-coalescer.ts).
   */
  readonly sharesUpdateChunk: boolean;
  /**
   * True when `event(u)` is `u.frame` (SSE on a transport that frames the body itself, HTTP/2):
   * those sinks share a concatenation of the turn's frames in the same way.
   */
  readonly sharesUpdateFrame?: boolean;
  /** The first bytes of a stream: the client's reconnection delay (SSE `retry:`); undefined: none. */
  preamble(retryMs: number): Buffer | undefined;
  /** Written after a period of silence so intermediaries keep the connection (SSE: a comment); undefined: none. */
  readonly heartbeat: Buffer | undefined;
}

/** What the subscription core tells the transport when it accepts a subscription (`Sink.open`). */
export interface Opening {
  /**
   * Where the stream continues, when it resumes (Mercure "Reconciliation"): the id asked for, or
   * `earliest` when that id is unknown and all history is replayed. HTTP carries it in
   * `Mercure-Last-Event-ID`; another transport in its first message.
   */
  readonly continueFrom: string | undefined;
  /** Response metadata from admission (a development hub's `Tidings-Token-Ignored`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The reconnection delay, jittered: `framing.preamble(retryMs)`. */
  readonly retryMs: number;
}

/** Told once when a sink ends, whatever the reason (the subscriber that owns it). */
export interface SinkOwner {
  sinkClosed(reason: CloseReason): void;
}

/**
 * Where a subscription's events go: the one thing a transport implements (subscribe/ does the
 * rest: parsing, authentication, caps, replay turn, registration, replay without gap or
 * duplicate, hand-over to live, expiry, unregistration exactly once).
 *
 * Life: created by the transport once its request is admitted, `open()`ed when the core has
 * registered the subscription (the transport writes its head: HTTP status and headers, nothing
 * for a WebSocket already upgraded), then written until `close()` or until the client goes, which
 * the transport reports through `owner.sinkClosed` (once). Writes before `open()` wait.
 *
 * Backpressure: `write()` takes bytes already in `framing`; while `blocked`, the sink queues
 * (bounded: past its bound it closes itself as `slow_consumer`) and writers that can wait (a
 * replay) await `whenWritable()`. `stream/flow-controlled-sink.ts` implements all of that
 * over any transport that says "write returned false" and later "drained".
 *
 * Today's sinks are SSE over a raw socket (`stream/sse-socket-sink.ts`), over a node:http or
 * Fetch response (`stream/sse-response-sink.ts`), and over an HTTP/2 stream
 * (`transports/http2/h2-stream-sink.ts`: `respond()` for the head, SSE without chunked coding,
 * flow control as backpressure). Further ones:
 * - a WebSocket (`ws`): `open` writes nothing (or a first message with `continueFrom`), the
 *   framing is one text message per update, `blocked` follows `bufferedAmount`, `heartbeat` is a
 *   ping, `close(reason)` is a close frame with a code per reason;
 * - a long-poll JSON response: `open` remembers the cursor, `write` collects events, the first
 *   write (or the poll timeout) ends the response with a JSON array and closes the sink as
 *   `client`: the client polls again with the last id (test/subscribe-core.test.ts has one).
 */
export interface Sink {
  /** Told when the sink ends; set by the subscriber that owns the sink. */
  owner: SinkOwner | undefined;
  readonly framing: Framing;
  /**
   * What the stream runs on, for `tidings_streams{protocol}` (`http/1.1`, `http/1.0`, `h2`);
   * undefined is counted as `other`.
   */
  readonly protocol?: string;
  /** Ended: writes are refused from now on. */
  readonly closed: boolean;
  /** The transport pushes back (or the sink is not open yet): writes queue. */
  readonly blocked: boolean;
  /** Writes (or queues) bytes in `framing`; false when the sink is closed or was just dropped. */
  write(bytes: Buffer): boolean;
  /** Resolves once nothing is queued, or the sink has closed. */
  whenWritable(): Promise<void>;
  /** The subscription is registered: the transport sends its head, then `framing.preamble`. */
  open(opening: Opening): void;
  /** Ends the sink; a graceful reason lets the client reconnect and resume. */
  close(reason: CloseReason): void;
  /** Ends the connection now, whatever it holds (Hub.close() past its deadline). */
  destroy(): void;
  /**
   * Optional: keep what is written from now on until `release()`, which writes it as one write
   * (an HTTP/2 stream: h2-stream-sink.ts). The write coalescer holds such a sink for one turn
   * while updates keep coming: two turns, one write.
   */
  hold?(): void;
  release?(): void;
}
