import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** Frame types (RFC 9113 6). */
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK string literal without Huffman coding (RFC 7541 5.2), lengths under 127 or longer. */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInt(bytes.length, 7, 0), bytes]);
}

function hpackInt(value: number, prefix: number, first: number): Buffer {
  const max = (1 << prefix) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/**
 * A request HEADERS frame: GET (static index 2), scheme http (6), `:path` and `:authority` as
 * literals with indexed names (RFC 7541 6.2.2), then `extra` as literals with literal names.
 */
export function headers(
  stream: number,
  path: string,
  extra: Record<string, string> = {},
  endStream = true,
): Buffer {
  const parts = [
    Buffer.from([0x82, 0x86]),
    Buffer.from([0x04]),
    hpackString(path),
    Buffer.from([0x01]),
    hpackString('localhost'),
  ];
  for (const [name, value] of Object.entries(extra))
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  return frame(FRAME.HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, Buffer.concat(parts));
}

export function rstStream(stream: number, code = 0x8): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, stream, payload);
}

export function settings(ack = false): Buffer {
  return frame(FRAME.SETTINGS, ack ? ACK : 0, 0);
}

export function ping(n: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(n, 4);
  return frame(FRAME.PING, 0, 0, payload);
}

/**
 * A client that writes HTTP/2 frames by hand on a cleartext connection (h2c with prior
 * knowledge), as an attacker would: no flow control, no limits of its own. It acknowledges the
 * server's SETTINGS and reads every frame the server sends.
 */
export class RawH2 {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = once(socket, 'close').then(() => this.#wake?.());
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => this.#read(d));
  }

  static async connect(port: number): Promise<RawH2> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const raw = new RawH2(socket);
    socket.write(Buffer.concat([PREFACE, settings()]));
    return raw;
  }

  send(...bytes: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(bytes));
  }

  /** The GOAWAY the server sent: its error code and debug data. */
  get goaway(): { code: number; debug: string } | undefined {
    const f = this.frames.find((x) => x.type === FRAME.GOAWAY);
    return f === undefined
      ? undefined
      : { code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString('latin1') };
  }

  /** RST_STREAM codes the server sent, by stream. */
  get resets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const f of this.frames)
      if (f.type === FRAME.RST_STREAM) out.set(f.stream, f.payload.readUInt32BE(0));
    return out;
  }

  /** Resolves once `check()` holds; rejects past the deadline, or when the connection closed without it. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.socket.destroyed && this.#buf.length === 0)
        throw new Error(`the connection closed before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  #read(data: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, data]);
    while (this.#buf.length >= 9) {
      const length = this.#buf.readUIntBE(0, 3);
      if (this.#buf.length < 9 + length) break;
      const f: Frame = {
        type: this.#buf[3]!,
        flags: this.#buf[4]!,
        stream: this.#buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.#buf.subarray(9, 9 + length),
      };
      this.#buf = this.#buf.subarray(9 + length);
      this.frames.push(f);
      if (f.type === FRAME.SETTINGS && (f.flags & ACK) === 0) this.send(settings(true));
    }
    this.#wake?.();
  }
}
