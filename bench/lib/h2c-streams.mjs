// SSE subscribers over HTTP/2 with prior knowledge (h2c, RFC 9113 3.3) for bench/instructions.mjs:
// `count` streams on one connection, each counting the events it receives. The windows are a
// browser's (Chromium: 6 MB per stream, 15 MB per connection), so flow control never holds a
// reading stream back and the hub's cost per delivery is what is measured, not WINDOW_UPDATE
// round trips of a small window.
import http2 from 'node:http2';

export const STREAM_WINDOW = 6 * 1024 * 1024;
const CONNECTION_WINDOW = 15 * 1024 * 1024;

/**
 * Opens one h2c connection to `port` and `count` subscribe streams on it; stream k counts the
 * events it receives in `counts[first + k]`. Resolves with the session once every stream has its
 * response head (200); rejects on any other status or a connection error. `streamWindow`: the
 * window each stream advertises (65,535, HTTP/2's default, to see what a small one costs).
 */
export function subscribeH2(host, port, path, counts, first, count, streamWindow = STREAM_WINDOW) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${host}:${port}`, {
      settings: { enablePush: false, initialWindowSize: streamWindow },
    });
    let pending = count;
    // Before every stream has its head, an error fails the subscribe; after, the measurement
    // notices a stream that stops receiving.
    session.on('error', (e) => {
      if (pending > 0) reject(e);
    });
    session.once('connect', () => {
      session.setLocalWindowSize(CONNECTION_WINDOW);
      for (let k = 0; k < count; k++) {
        const i = first + k;
        const stream = session.request({ ':path': path, accept: 'text/event-stream' });
        stream.once('response', (headers) => {
          if (headers[':status'] !== 200) reject(new Error(`h2 subscribe: status ${headers[':status']}`));
          else if (--pending === 0) resolve(session);
        });
        // Each event has one "id:" line. A DATA frame may end anywhere in an event, so the last
        // three bytes of the previous one are looked at again ("\n" at first: the stream's first
        // line may be an id).
        let tail = '\n';
        stream.on('data', (chunk) => {
          const text = tail + chunk.toString('latin1');
          for (let at = text.indexOf('\nid:'); at >= 0; at = text.indexOf('\nid:', at + 4)) counts[i]++;
          tail = text.slice(-3);
        });
        stream.on('error', (e) => {
          if (pending > 0) reject(e);
        });
      }
    });
  });
}
