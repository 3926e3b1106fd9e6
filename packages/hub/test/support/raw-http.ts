import { setTimeout as sleep } from 'node:timers/promises';
import { connectTo } from '@tidings/test-support';

/** What came back on a raw socket: the parsed head (if any), the rest, and whether the server closed. */
export interface RawResponse {
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly raw: Buffer;
  /** The server closed (or reset) the connection before `timeoutMs`. */
  readonly closed: boolean;
  /** ms from the first byte sent until the server closed, or until we gave up. */
  readonly elapsedMs: number;
}

export { connectTo };

/**
 * Sends `parts` on a fresh loopback socket, `gapMs` apart (byte-exact: nothing is added), and
 * collects the answer until the server closes, `stopWhen` holds, or `timeoutMs` passes.
 */
export async function rawExchange(
  port: number,
  parts: readonly (string | Buffer)[],
  options: { gapMs?: number; timeoutMs?: number; stopWhen?: (r: RawResponse) => boolean } = {},
): Promise<RawResponse & { readonly sent: number }> {
  const { gapMs = 0, timeoutMs = 5000, stopWhen } = options;
  const socket = await connectTo(port);
  const started = Date.now();
  const chunks: Buffer[] = [];
  let closed = false;
  let wake: () => void = () => {};
  socket.on('data', (b: Buffer) => {
    chunks.push(b);
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  const deadline = started + timeoutMs;
  const snapshot = () => parseResponse(Buffer.concat(chunks), closed, Date.now() - started);
  const stop = () => closed || Date.now() >= deadline || (stopWhen?.(snapshot()) ?? false);
  /** How many of the parts were written before the exchange stopped. */
  let sent = 0;
  for (const part of parts) {
    if (stop()) break;
    if (!socket.destroyed) {
      socket.write(part);
      sent++;
    }
    if (gapMs > 0) await sleep(gapMs);
  }
  while (!stop()) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.min(50, Math.max(0, deadline - Date.now()))).unref();
    });
  }
  socket.destroy();
  return { ...snapshot(), sent };
}

/** Splits a string into one-byte parts (for slowloris). */
export function bytewise(text: string): Buffer[] {
  return [...Buffer.from(text, 'latin1')].map((b) => Buffer.from([b]));
}

export function parseResponse(raw: Buffer, closed: boolean, elapsedMs: number): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return { status: undefined, headers: {}, body: '', raw, closed, elapsedMs };
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return {
    status: Number.isNaN(status) ? undefined : status,
    headers,
    body: body.toString('utf8'),
    raw,
    closed,
    elapsedMs,
  };
}

function dechunk(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < buf.length) {
    const eol = buf.indexOf('\r\n', i);
    if (eol === -1) break;
    const size = Number.parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
