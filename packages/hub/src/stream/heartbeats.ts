/** What the scheduler keeps of a stream: where it sits in the list, and when it last wrote. */
export interface HeartbeatStream {
  /** Index in the scheduler's list; -1 when not in it. */
  beatIndex: number;
  /** The scheduler's tick at the stream's last write. */
  beatTick: number;
  /** Writes a heartbeat (the stream has been silent for a heartbeat period). */
  heartbeat(): void;
}

/** Ticks per heartbeat period: a heartbeat is sent at most a tenth of a period late. */
const TICKS_PER_PERIOD = 10;
/** A tick is at most this long (ms), so a 15 s heartbeat costs one timer a second, not 10. */
const MAX_TICK_MS = 1_000;

/**
 * One timer for the heartbeats of every stream of a hub (WHATWG HTML 9.2.7: a comment every 15 s
 * or so keeps proxies from dropping an idle stream), instead of a Timeout per stream.
 *
 * Time is counted in ticks of a tenth of the period (at most 1 s). A write stores the current
 * tick in the stream (one field store on the hot path, no clock read); each tick walks the list
 * and sends a heartbeat to every stream silent for a whole period, so real traffic resets it as
 * before. After a heartbeat, the next one comes up to a tenth of a period early, at random:
 * streams opened together (a reconnect storm after a restart) drift apart instead of writing
 * their heartbeats in the same tick forever. Walking 20,000 streams costs well under a
 * millisecond per tick.
 */
export class Heartbeats {
  readonly #streams: HeartbeatStream[] = [];
  readonly #tickMs: number;
  /** Ticks of silence before a heartbeat: a whole period, never less. */
  readonly #quietTicks: number;
  readonly #jitterTicks: number;
  readonly #onTick = () => this.#sweep();
  #timer: NodeJS.Timeout | undefined;
  /** Current tick: streams read it on every write. */
  tick = 0;

  /** `everyMs`: the heartbeat period, > 0. */
  constructor(everyMs: number) {
    this.#tickMs = Math.max(1, Math.min(MAX_TICK_MS, Math.floor(everyMs / TICKS_PER_PERIOD)));
    // A write late in tick t and a check early in tick t + n see n ticks, but as little as
    // (n - 1) * tickMs of silence: one tick more makes the silence at least the period.
    this.#quietTicks = Math.ceil(everyMs / this.#tickMs) + 1;
    this.#jitterTicks = Math.floor(this.#quietTicks / 10);
  }

  get size(): number {
    return this.#streams.length;
  }

  add(stream: HeartbeatStream): void {
    if (stream.beatIndex !== -1) return;
    stream.beatTick = this.tick;
    stream.beatIndex = this.#streams.push(stream) - 1;
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#onTick, this.#tickMs);
      this.#timer.unref();
    }
  }

  remove(stream: HeartbeatStream): void {
    const i = stream.beatIndex;
    if (i === -1) return;
    stream.beatIndex = -1;
    const last = this.#streams.pop()!;
    if (last !== stream) {
      this.#streams[i] = last;
      last.beatIndex = i;
    }
    if (this.#streams.length === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const tick = ++this.tick;
    const streams = this.#streams;
    // Backwards: a heartbeat can close its stream (a dropped slow consumer), which moves the
    // last stream, already visited, into its place.
    for (let i = streams.length - 1; i >= 0; i--) {
      const stream = streams[i]!;
      if (tick - stream.beatTick < this.#quietTicks) continue;
      stream.heartbeat();
      stream.beatTick = tick - Math.floor(Math.random() * (this.#jitterTicks + 1));
    }
  }
}
