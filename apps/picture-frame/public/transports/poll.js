import { fetchAnswer, sleep } from './fetch-answer.js';
import { hubUrl } from './hub-url.js';

// Poll: ask every `everyS` seconds, on a fixed schedule, for what came after the cursor. With
// If-None-Match set to the last answer's ETag (the cursor), "nothing new" is a 304 with no body;
// still a request, and its headers, each time. An update waits up to `everyS` for the next poll.
export function subscribePoll(topic, cursor, column, everyS) {
  let stopped = false;
  let etag;
  (async () => {
    // A random phase, as real clients have (and the benchmark gives each of its pollers): a
    // schedule started with the ticker's would see every tick just after a poll, at the worst.
    const start = performance.now() - Math.random() * everyS * 1000;
    for (let k = 1; !stopped; k++) {
      try {
        const a = await fetchAnswer(hubUrl(topic, cursor), column, etag ? { 'If-None-Match': etag } : {});
        column.connected = true;
        if (a.events.length === 0) column.empty();
        for (const e of a.events) column.update(e.id, e.data, a.at);
        if (a.status === 200) {
          cursor = a.cursor;
          etag = a.etag;
        }
      } catch (err) {
        column.failed(err);
      }
      // The next slot of the schedule (a slot missed by a slow answer is skipped).
      const now = performance.now() - start;
      k = Math.max(k, Math.ceil(now / (everyS * 1000)));
      await sleep(k * everyS * 1000 - now);
    }
  })();
  return () => {
    stopped = true;
  };
}
