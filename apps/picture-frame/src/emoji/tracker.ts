import { EMOJI } from './emoji-set.js';
import { EmojiFeeder } from './feeder.js';
import { detailTopic, SCORES_TOPIC } from './topics.js';

/** Sends one update (the app wires it to the hub; not kept in history, see app wiring). */
export type EmojiPublish = (topic: string, data: string) => void;

export interface TrackerOptions {
  readonly publish: EmojiPublish;
  /** Occurrences per second from the built-in feeder. Default 3,000. */
  readonly ratePerSecond?: number;
  /** Score updates per second (the roll-up). Default 60, as emojitracker did. */
  readonly ticksPerSecond?: number;
  /** A detail update per changed emoji every this many ticks. Default 15 (4 per second at 60 Hz). */
  readonly detailEvery?: number;
  readonly random?: () => number;
}

/** Recent sample posts kept per emoji for the detail view. */
const RECENT = 5;
const PHRASES = [
  'this is the best thing all week',
  'cannot stop laughing',
  'good morning everyone',
  'we did it',
  'no words',
  'on my way',
  'happy birthday!!',
  'that game last night',
  'coffee first',
  'weekend mood',
];

/**
 * emojitracker's shape: occurrences are counted as they come (thousands per second), and rolled
 * up at a fixed rate into one score update per tick, so subscribers get 60 small events a second
 * whatever the input rate. Each score update carries every total (a JSON array in EMOJI order):
 * it is self-contained, so a subscriber whose updates are conflated (maxRate) loses nothing by
 * skipping some, and a page that opens late needs only the latest one.
 */
export class EmojiTracker {
  readonly counts: Float64Array;
  readonly #recent: string[][];
  readonly #detailDirty: Uint8Array;
  readonly #feeder: EmojiFeeder;
  readonly #publish: EmojiPublish;
  readonly #tickMs: number;
  readonly #detailEvery: number;
  readonly #random: () => number;
  #changed = false;
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;
  #next = 0;
  /** Score updates published so far. */
  published = 0;

  constructor(o: TrackerOptions) {
    this.counts = new Float64Array(EMOJI.length);
    this.#recent = EMOJI.map(() => []);
    this.#detailDirty = new Uint8Array(EMOJI.length);
    this.#publish = o.publish;
    this.#tickMs = 1000 / (o.ticksPerSecond ?? 60);
    this.#detailEvery = Math.max(1, o.detailEvery ?? 15);
    this.#random = o.random ?? Math.random;
    this.#feeder = new EmojiFeeder(
      { count: EMOJI.length, ratePerSecond: o.ratePerSecond ?? 3000, random: this.#random },
      (i) => this.count(i),
    );
  }

  /** One occurrence of emoji `index`. */
  count(index: number): void {
    this.counts[index]! += 1;
    this.#changed = true;
    this.#detailDirty[index] = 1;
    // A sample post now and then (one in 50), for the detail view.
    if (this.#random() < 0.02) {
      const recent = this.#recent[index]!;
      const phrase = PHRASES[Math.floor(this.#random() * PHRASES.length)]!;
      recent.unshift(`${phrase} ${EMOJI[index]!.char}`);
      if (recent.length > RECENT) recent.pop();
    }
  }

  start(): void {
    this.#feeder.start();
    if (this.#timer !== undefined) return;
    this.#next = performance.now() + this.#tickMs;
    this.#schedule();
  }

  /** Stops the feeder; ticks go on, so the last counts are published. */
  pauseFeeder(): void {
    this.#feeder.stop();
  }

  stop(): void {
    this.#feeder.stop();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The totals as the page reads them first (GET /emoji/api/totals). */
  snapshot(): { emoji: readonly { char: string; id: string }[]; counts: number[]; published: number } {
    return { emoji: EMOJI, counts: Array.from(this.counts), published: this.published };
  }

  #schedule(): void {
    // Deadline-based: a late timer does not drift the 60 Hz grid.
    const delay = Math.max(0, this.#next - performance.now());
    this.#timer = setTimeout(() => {
      this.#next += this.#tickMs;
      this.rollUp();
      this.#schedule();
    }, delay);
    this.#timer.unref();
  }

  /** One tick: a score update if anything changed, and detail updates every `detailEvery` ticks. */
  rollUp(): void {
    this.#tick++;
    if (this.#changed) {
      this.#changed = false;
      this.published++;
      this.#publish(SCORES_TOPIC, `{"t":${this.#tick},"c":[${this.counts.join(',')}]}`);
    }
    if (this.#tick % this.#detailEvery !== 0) return;
    for (let i = 0; i < EMOJI.length; i++) {
      if (this.#detailDirty[i] === 0) continue;
      this.#detailDirty[i] = 0;
      const e = EMOJI[i]!;
      this.#publish(
        detailTopic(e.id),
        JSON.stringify({ id: e.id, char: e.char, total: this.counts[i], recent: this.#recent[i] }),
      );
    }
  }
}
