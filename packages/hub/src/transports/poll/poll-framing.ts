import type { Update } from '../../model/update.js';
import type { Framing } from '../../stream/sink.js';
import { updateJson } from '../update-json.js';

/** The byte that ends each encoded update (never inside one: JSON escapes line breaks). */
export const EVENT_END = 0x0a;

/**
 * A poll answer's events: each update as its JSON object (transports/update-json.ts) and a
 * line feed, encoded once per update and kept beside it (`WeakMap<Update, Buffer>`), so every
 * poll is written the same bytes. The sink turns the lines into the answer's `events` array.
 * No preamble, no heartbeat: an answer never waits longer than `maxPollWaitMs`.
 */
export const POLL_JSON: Framing = pollFraming();

function pollFraming(): Framing {
  const encoded = new WeakMap<Update, Buffer>();
  return {
    event(update) {
      let bytes = encoded.get(update);
      if (bytes === undefined) {
        bytes = Buffer.from(`${updateJson(update)}\n`, 'utf8');
        encoded.set(update, bytes);
      }
      return bytes;
    },
    sharesUpdateChunk: false,
    preamble: () => undefined,
    heartbeat: undefined,
  };
}
