import { webSocketMessageBytes } from './wire-bytes.js';

// WebSocket with the browser's own WebSocket, on the hub's URL: one upgrade request, then one
// JSON text message per update, {"id","type","data"}. A resume's first message,
// {"last_event_id": …}, says where the hub resumed: it is not an update. The browser does not
// reconnect a WebSocket by itself: this does, after the last id it received.
export function subscribeWebSocket(url, column) {
  let ws;
  let stopped = false;
  const open = () => {
    column.request();
    const u = new URL(url);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const last = column.ids.at(-1);
    if (last !== undefined) u.searchParams.set('last_event_id', last);
    ws = new WebSocket(u);
    ws.onopen = () => {
      column.connected = true;
    };
    ws.onmessage = (e) => {
      column.read(webSocketMessageBytes(e.data));
      const m = JSON.parse(e.data);
      if (typeof m.id === 'string' && typeof m.data === 'string') column.update(m.id, m.data);
    };
    ws.onclose = (e) => {
      if (stopped) return;
      column.failed(`closed (${e.code}${e.reason ? ` ${e.reason}` : ''}); reconnecting in 2 s`);
      setTimeout(open, 2000);
    };
  };
  open();
  return () => {
    stopped = true;
    ws.close();
  };
}
