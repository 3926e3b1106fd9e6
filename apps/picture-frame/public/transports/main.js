// The transports page: one topic, received over SSE, WebSocket, long-poll and poll at once, from
// the same cursor, with what each spends. The state is on window.transportsState (the browser
// test reads it).
import { Agreement } from './agreement.js';
import { Column } from './column.js';
import { hubUrl } from './hub-url.js';
import { subscribeLongPoll } from './long-poll.js';
import { subscribePoll } from './poll.js';
import { watchResourceTiming } from './resource-timing.js';
import { subscribeSse } from './sse.js';
import { createView } from './view.js';
import { subscribeWebSocket } from './websocket.js';

const POLL_INTERVALS = ['0.5', '1', '2', '5'];
const params = new URLSearchParams(location.search);
const pollEvery = POLL_INTERVALS.includes(params.get('poll')) ? Number(params.get('poll')) : 1;

const agreement = new Agreement();
const state = {
  phase: 'starting',
  error: null,
  topic: null,
  cursor: null,
  rate: null,
  pollEvery,
  columns: null,
};
window.transportsState = state;
// The hub's clock as this page reads it: latency is arrival on it minus the tick's publish time.
const clock = {
  offsetMs: 0,
  now: () => Date.now() + clock.offsetMs,
  onTick: (tick) => {
    if (typeof tick?.rate === 'number') state.rate = tick.rate;
  },
};
const message = document.getElementById('message');

async function readTicker() {
  const t0 = Date.now();
  const res = await fetch('/transports/api/ticker', { cache: 'no-store' });
  const t1 = Date.now();
  if (!res.ok) throw new Error(`GET /transports/api/ticker: ${res.status}`);
  const info = await res.json();
  // The hub's clock read halfway through the request. An offset within that uncertainty is no
  // offset (the same machine); beyond it, this page's clock is corrected by it.
  const offset = info.now - (t0 + t1) / 2;
  clock.offsetMs = Math.abs(offset) <= (t1 - t0) / 2 + 1 ? 0 : Math.round(offset);
  document.getElementById('clock-note').textContent =
    clock.offsetMs === 0
      ? `This page's clock agrees with the hub's to within ${Math.ceil((t1 - t0) / 2) + 1} ms.`
      : `This page's clock is ${clock.offsetMs} ms behind the hub's (±${Math.ceil((t1 - t0) / 2)} ms), corrected.`;
  return info;
}

function controls(info) {
  const rate = document.getElementById('rate');
  for (const r of info.rates) rate.append(new Option(String(r), String(r), false, r === info.rate));
  rate.addEventListener('change', async () => {
    message.textContent = '';
    const res = await fetch('/transports/api/rate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rate: Number(rate.value) }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.ok) state.rate = body.rate;
    else message.textContent = body.detail ?? `The rate was not changed (${res.status}).`;
  });
  const every = document.getElementById('poll-every');
  every.value = String(pollEvery);
  for (const el of document.querySelectorAll('.poll-every')) el.textContent = String(pollEvery);
  every.addEventListener('change', () => {
    params.set('poll', every.value);
    location.search = params.toString();
  });
}

async function start() {
  const info = await readTicker();
  state.topic = info.topic;
  state.rate = info.rate;
  document.getElementById('topic').textContent = info.topic;
  controls(info);
  // One cursor for all four: a poll without one answers the current cursor and no events.
  const first = await fetch(hubUrl(info.topic), {
    headers: { Accept: 'application/json' },
    cache: 'no-store',
  });
  if (!first.ok) throw new Error(`the first poll: ${first.status}`);
  const cursor = (await first.json()).last_event_id;
  state.cursor = cursor;
  const columns = {
    sse: new Column('sse', agreement, clock),
    websocket: new Column('websocket', agreement, clock),
    longPoll: new Column('longPoll', agreement, clock),
    poll: new Column('poll', agreement, clock),
  };
  state.columns = columns;
  const protocol =
    performance.getEntriesByType('navigation')[0]?.nextHopProtocol === 'h2' ? 'h2' : 'http/1.1';
  state.protocol = protocol;
  watchResourceTiming(state);
  subscribeSse(hubUrl(info.topic, cursor), columns.sse, protocol);
  subscribeWebSocket(hubUrl(info.topic, cursor), columns.websocket);
  subscribeLongPoll(info.topic, cursor, columns.longPoll);
  subscribePoll(info.topic, cursor, columns.poll, pollEvery);

  const render = createView(columns);
  const rtNote = document.getElementById('rt-note');
  const tick = () => {
    state.agreement = agreement.summary();
    render(state);
    const rt = state.resourceTiming;
    rtNote.textContent =
      `Resource Timing, for comparison: ${rt.longPoll.encodedBodyBytes + rt.poll.encodedBodyBytes} bytes of ` +
      `long-poll and poll bodies in ${rt.longPoll.responses + rt.poll.responses} answers; its transferSize ` +
      `adds a fixed 300 bytes per answer for the head, whatever its real size.`;
  };
  tick();
  setInterval(tick, 250);
  state.phase = 'live';
  document.body.dataset.phase = 'live';
}

start().catch((err) => {
  state.phase = 'failed';
  state.error = String(err?.message ?? err);
  document.body.dataset.phase = 'failed';
  message.textContent = `The page could not start: ${state.error}`;
});
