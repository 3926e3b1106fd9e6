// What the clients send: the request headers a browser (Chromium 131 on Linux) sends with each
// kind of request to a page's own origin, with a cookie. Sites carry cookies (analytics, session,
// preferences) that go with every request to their origin, polls included: the seeds' complaint.
// The cookie below (about 260 bytes) is one the hub does not read, so subscribers stay anonymous.

const UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const COOKIE =
  '_ga=GA1.1.1873562049.1733150412; _ga_8XK2L1QH7Z=GS1.1.1733150412.4.1.1733151207.0.0.0; ' +
  'session=Fe26.2**c5a1f0e7b4d2**x9Qk2mVw3zLr8TnYpB4sHc**1733237612000**d41d8cd98f00b204e980; ' +
  'theme=dark; consent=analytics%3Dfalse%26ads%3Dfalse; lang=en-GB';
const ORIGIN = 'https://frame.example.com';

/** Header lines shared by every kind of request, after Host (HTTP/1.1 order as Chromium sends them). */
const common = (accept, mode) => [
  ['sec-ch-ua-platform', '"Linux"'],
  ['user-agent', UA],
  ['sec-ch-ua', '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'],
  ['sec-ch-ua-mobile', '?0'],
  ['accept', accept],
  ['sec-fetch-site', 'same-origin'],
  ['sec-fetch-mode', mode],
  ['sec-fetch-dest', 'empty'],
  ['referer', `${ORIGIN}/transports`],
  ['accept-encoding', 'gzip, deflate, br, zstd'],
  ['accept-language', 'en-GB,en;q=0.9'],
  ['cookie', COOKIE],
];

/** EventSource's request (also the HTTP/2 one, without the connection-specific headers). */
export const SSE_HEADERS = [['cache-control', 'no-cache'], ...common('text/event-stream', 'cors')];
/** fetch() of a poll or long-poll answer. */
export const POLL_HEADERS = common('application/json', 'cors');
/** new WebSocket(): Chromium's handshake (the key is fixed: the hub does not care which it is). */
export const WS_HEADERS = [
  ['pragma', 'no-cache'],
  ['cache-control', 'no-cache'],
  ['user-agent', UA],
  ['upgrade', 'websocket'],
  ['origin', ORIGIN],
  ['sec-websocket-version', '13'],
  ['accept-encoding', 'gzip, deflate, br, zstd'],
  ['accept-language', 'en-GB,en;q=0.9'],
  ['cookie', COOKIE],
  ['sec-websocket-key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
];

/** An HTTP/1.1 request head (Chromium capitalises nothing it does not have to; we write names as it shows them). */
export function http1Request(path, host, headers, extra = []) {
  const conn = headers === WS_HEADERS ? 'Upgrade' : 'keep-alive';
  let s = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: ${conn}\r\n`;
  for (const [k, v] of [...headers, ...extra]) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** The same request as HTTP/2 headers (no Host or Connection: :authority instead). */
export function h2Request(path, host, headers) {
  const out = { ':method': 'GET', ':scheme': 'http', ':authority': host, ':path': path };
  for (const [k, v] of headers) out[k] = v;
  return out;
}
