import { sseEventBytes } from './wire-bytes.js';

// SSE with the browser's own EventSource: one request, then the hub writes each update into the
// open response. On a dropped connection the browser reconnects by itself and sends the last id
// it saw in Last-Event-ID (which wins over the URL's last_event_id), so nothing is lost.
export function subscribeSse(url, column, protocol) {
  let es;
  let stopped = false;
  const open = () => {
    column.request();
    es = new EventSource(url);
    es.onopen = () => {
      column.connected = true;
    };
    es.onmessage = (e) => {
      column.read(sseEventBytes(e.lastEventId, e.data, protocol));
      column.update(e.lastEventId, e.data);
    };
    es.onerror = () => {
      column.connected = false;
      // CONNECTING: the browser is retrying (a new request); CLOSED: it gave up (an error answer).
      if (es.readyState === EventSource.CONNECTING) column.request();
      else if (!stopped) {
        column.failed('the stream was refused; retrying in 2 s');
        // Resume after what arrived: the URL's cursor is replaced by the last id seen.
        const last = column.ids.at(-1);
        if (last !== undefined) url.searchParams.set('last_event_id', last);
        setTimeout(open, 2000);
      }
    };
  };
  open();
  return () => {
    stopped = true;
    es.close();
  };
}
