import { fetchAnswer, sleep } from './fetch-answer.js';
import { hubUrl } from './hub-url.js';

/** How long the hub may hold a long poll (it allows up to 30 s: maxPollWaitMs). */
export const LONG_POLL_WAIT_S = 25;

// Long-poll ("comet"): a request the hub holds until an update after the cursor exists (or
// LONG_POLL_WAIT_S pass), answered with the events and the next cursor; then at once the next
// request. One request, with its headers both ways, per answer.
export function subscribeLongPoll(topic, cursor, column) {
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const a = await fetchAnswer(hubUrl(topic, cursor, { wait: String(LONG_POLL_WAIT_S) }), column);
        column.connected = true;
        if (a.events.length === 0) column.empty();
        for (const e of a.events) column.update(e.id, e.data, a.at);
        cursor = a.cursor;
      } catch (err) {
        column.failed(err);
        await sleep(2000);
      }
    }
  })();
  return () => {
    stopped = true;
  };
}
