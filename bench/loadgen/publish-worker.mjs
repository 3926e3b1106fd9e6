// The publishing side of the load generator, in its own thread so that its pace does not depend on
// how busy the subscriber thread is (or on it sleeping to batch reads). Driven by small RPC messages
// from loadgen.mjs: {id, cmd, ...} -> {id, ...result, stats}.
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { nowMs } from './clock.mjs';
import { Publisher } from './publisher.mjs';

const pub = new Publisher(workerData);

/** Resolves true when every publish sent so far has been answered, false after capMs or on close. */
function allAnswered(capMs) {
  return new Promise((resolve) => {
    if (pub.outstanding === 0 || pub.closed) return resolve(pub.outstanding === 0);
    const t = setTimeout(() => {
      pub.onResponse = () => {};
      resolve(false);
    }, capMs);
    pub.onResponse = () => {
      if (pub.outstanding === 0 || pub.closed) {
        clearTimeout(t);
        pub.onResponse = () => {};
        resolve(pub.outstanding === 0);
      }
    };
  });
}

/** Servers close idle keep-alive connections (Node after 5 s): reopen before publishing again. */
async function ensure() {
  if (pub.sock && !pub.closed) return;
  if (pub.outstanding > 0) throw new Error(`publish connection closed with ${pub.outstanding} pending`);
  pub.errors = 0;
  pub.firstError = null;
  await pub.connect();
}

/** Publishes for phase.durationMs, then waits for the answers. */
async function run(phase, n) {
  await ensure();
  pub.errors = 0;
  pub.firstError = null;
  const first = pub.nextSeq;
  const t0 = nowMs();
  const stopAt = t0 + phase.durationMs;
  let behind = 0;
  if (phase.kind === 'max') {
    // Closed loop: keep `window` requests in flight, refill as responses arrive.
    let publishing = true;
    pub.onResponse = () => {
      if (!publishing || pub.closed) return;
      if (nowMs() >= stopAt) {
        publishing = false;
        return;
      }
      const room = phase.window - pub.outstanding;
      if (room > 0) pub.send(room);
    };
    pub.send(phase.window);
    await sleep(phase.durationMs);
    publishing = false;
  } else {
    // Open loop at a fixed rate of updates per second (deliveries per second / N), checked every
    // millisecond; updates that are due go out together in one write.
    const perSec = phase.deliveriesPerSec / n;
    let sent = 0;
    await new Promise((resolve) => {
      const tick = setInterval(() => {
        const now = nowMs();
        if (now >= stopAt || pub.closed) {
          clearInterval(tick);
          resolve();
          return;
        }
        const due = Math.floor(((now - t0) / 1000) * perSec) + 1 - sent;
        if (due <= 0) return;
        sent += due;
        if (pub.outstanding > phase.maxOutstanding) behind += due;
        else pub.send(due);
      }, 1);
    });
  }
  // Closed while publishing (not merely idle afterwards): the phase published less than it should.
  if (pub.closed) pub.noteError('publish connection closed by the server during the phase');
  const answered = await allAnswered(phase.drainCapMs);
  return { first, last: pub.nextSeq - 1, behind, answered, startMs: t0 };
}

const stats = () => ({
  nextSeq: pub.nextSeq,
  responses: pub.responses,
  errors: pub.errors,
  firstError: pub.firstError,
  closed: pub.closed,
  outstanding: pub.outstanding,
});

parentPort.on('message', async (m) => {
  try {
    let result = {};
    if (m.cmd === 'ensure') await ensure();
    else if (m.cmd === 'send') result = { first: pub.send(m.count) };
    else if (m.cmd === 'answered') result = { answered: await allAnswered(m.capMs) };
    else if (m.cmd === 'run') result = await run(m.phase, m.n);
    else if (m.cmd === 'close') pub.close();
    parentPort.postMessage({ id: m.id, ...result, stats: stats() });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e?.message ?? e), stats: stats() });
  }
});
