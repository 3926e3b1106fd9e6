import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { H2GoawayCode } from '../../errors.js';

const kResetByHub = Symbol('tidings.resetByHub');

/** Resets a stream from the hub's side (RST_STREAM `code`): not counted as a client's reset. */
export function resetStream(stream: ServerHttp2Stream, code: number): void {
  (stream as ServerHttp2Stream & { [kResetByHub]?: true })[kResetByHub] = true;
  stream.close(code);
}

/** The bounds on the work one connection may cause besides its streams (limits.ts). */
export interface FloodLimits {
  readonly h2MaxResetsPerSecond: number;
  readonly h2MaxSettingsPerSecond: number;
  readonly h2MaxPingsPerSecond: number;
}

/** Events counted in one-second windows; 0 as the bound turns the count off. */
class PerSecond {
  readonly #max: number;
  #start = 0;
  #count = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts one event; true when that takes the window past its bound. */
  over(now: number): boolean {
    if (this.#max <= 0) return false;
    if (now - this.#start >= 1_000) {
      this.#start = now;
      this.#count = 0;
    }
    return ++this.#count > this.#max;
  }
}

/**
 * Bounds the work a single HTTP/2 connection can make the hub do beyond serving its streams:
 * frames that cost the server and nothing to the client (CVE-2023-44487 "rapid reset": a stream
 * opened and reset at once starts a request the hub works on, while it never counts against
 * the concurrent-stream limit; SETTINGS and PING frames must each be acknowledged). Past a bound
 * the connection gets GOAWAY ENHANCE_YOUR_CALM with the reason as debug data and is closed:
 * the client's other streams go too (it misbehaves), other connections never notice.
 */
export function guardSession(
  session: ServerHttp2Session,
  limits: FloodLimits,
  onFlood: (code: H2GoawayCode) => void,
): void {
  const resets = new PerSecond(limits.h2MaxResetsPerSecond);
  const settings = new PerSecond(limits.h2MaxSettingsPerSecond);
  const pings = new PerSecond(limits.h2MaxPingsPerSecond);
  let done = false;
  const flood = (code: H2GoawayCode) => {
    // A connection going away aborts its open streams: that is no flood.
    if (done || session.destroyed || session.closed) return;
    done = true;
    onFlood(code);
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, 0, Buffer.from(code, 'latin1'));
    session.destroy(undefined, constants.NGHTTP2_ENHANCE_YOUR_CALM);
  };
  // Every stream the client resets (RST_STREAM while the hub's side is open) had the hub start
  // a request, often finish it (a subscribe can be admitted, registered and answered before
  // the reset is read): the client opens them again at no cost to itself. 'aborted' comes while
  // nghttp2 reads the frames, not a tick later as 'close' does, so a flood sent in one write
  // is cut where it passes the bound, before nghttp2's own coarser limit ends it (INTERNAL_ERROR,
  // no reason given). Streams the hub resets itself (`resetStream`) are not counted.
  const onAborted = function (this: ServerHttp2Stream & { [kResetByHub]?: true }) {
    if (this[kResetByHub] !== true && resets.over(performance.now())) flood('h2_rapid_reset');
  };
  session.on('stream', (stream: ServerHttp2Stream) => stream.once('aborted', onAborted));
  session.on('remoteSettings', () => {
    if (settings.over(performance.now())) flood('h2_settings_flood');
  });
  session.on('ping', () => {
    if (pings.over(performance.now())) flood('h2_ping_flood');
  });
}
