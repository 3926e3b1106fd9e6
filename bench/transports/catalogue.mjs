// The transports compared, in the order the report and charts show them, and how their clients
// are made. Long polls wait up to 25 s, @tidings/client's pollWait default.
import { H2SseClients } from './clients/h2-sse.mjs';
import { PollClients } from './clients/poll.mjs';
import { SseClients } from './clients/sse.mjs';
import { WebSocketClients } from './clients/websocket.mjs';

export const TRANSPORTS = {
  'poll-1s': { label: 'poll every 1 s', make: (o) => new PollClients({ ...o, everyMs: 1000 }) },
  'poll-5s': { label: 'poll every 5 s', make: (o) => new PollClients({ ...o, everyMs: 5000 }) },
  'long-poll': { label: 'long-poll', make: (o) => new PollClients({ ...o, waitS: 25 }) },
  sse: { label: 'SSE', make: (o) => new SseClients(o) },
  websocket: { label: 'WebSocket', make: (o) => new WebSocketClients(o) },
  'sse-h2': { label: 'SSE over HTTP/2', make: (o) => new H2SseClients(o) },
};

export const TRANSPORT_NAMES = Object.keys(TRANSPORTS);
/** The transport every ratio is taken against, in the same run. */
export const BASELINE = 'sse';
