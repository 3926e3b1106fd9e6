import { constants, deflateRawSync } from 'node:zlib';
import type { Update } from '../../model/update.js';
import type { Framing } from '../../stream/sink.js';
import { updateJson } from '../update-json.js';
import { OPCODE_TEXT, PING_FRAME, serverFrame } from './websocket-frame.js';

/** Payloads shorter than this are sent uncompressed even with permessage-deflate (as `ws` does by default). */
export const DEFLATE_THRESHOLD = 1024;
/** RFC 7692 7.2.1: the tail a sync flush leaves, removed from every compressed message. */
const SYNC_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * One text message per update, `{"id","type","data","retry"}` (transports/update-json.ts): the
 * frame is encoded once per update and kept beside it (`WeakMap<Update, Buffer>`), so every
 * WebSocket subscriber is written the same bytes, as SSE subscribers are. The heartbeat is a
 * ping (RFC 6455 5.5.2) written after a period of silence, which the client answers with a pong.
 */
export const WEBSOCKET_TEXT: Framing = textFraming();

function textFraming(): Framing {
  const frames = new WeakMap<Update, Buffer>();
  return {
    event(update) {
      let frame = frames.get(update);
      if (frame === undefined) {
        frame = serverFrame(OPCODE_TEXT, Buffer.from(updateJson(update), 'utf8'));
        frames.set(update, frame);
      }
      return frame;
    },
    sharesUpdateChunk: false,
    preamble: () => undefined,
    heartbeat: PING_FRAME,
  };
}

/** Compressed framings by server window bits: a handful at most (RFC 7692 7.1.2.1: 8 to 15). */
const deflating = new Map<number, Framing>();

/**
 * The framing of a connection that negotiated permessage-deflate (an option, off by default).
 * The hub always asks for `server_no_context_takeover` (RFC 7692 7.1.1.1): each message is then
 * compressed on its own, its compressed bytes depend on the payload and the window size alone,
 * and so they too are encoded once per update and shared by every such connection. Short payloads
 * go uncompressed (a message MAY be sent without compression: RFC 7692 6).
 */
export function framingFor(extensions: string): Framing {
  const offer = /permessage-deflate/.exec(extensions);
  if (offer === null) return WEBSOCKET_TEXT;
  const bits = /server_max_window_bits=(\d+)/.exec(extensions);
  const windowBits = bits === null ? 15 : Number(bits[1]);
  // zlib cannot make raw deflate with a 256-byte window (it silently uses 512): stay uncompressed.
  if (!(windowBits >= 9 && windowBits <= 15)) return WEBSOCKET_TEXT;
  let framing = deflating.get(windowBits);
  if (framing === undefined) {
    framing = deflateFraming(windowBits);
    deflating.set(windowBits, framing);
  }
  return framing;
}

function deflateFraming(windowBits: number): Framing {
  const frames = new WeakMap<Update, Buffer>();
  return {
    event(update) {
      let frame = frames.get(update);
      if (frame === undefined) {
        const payload = Buffer.from(updateJson(update), 'utf8');
        if (payload.length < DEFLATE_THRESHOLD) frame = WEBSOCKET_TEXT.event(update);
        else {
          const deflated = deflateRawSync(payload, { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
          const body = deflated.subarray(deflated.length - 4).equals(SYNC_TAIL)
            ? deflated.subarray(0, deflated.length - 4)
            : deflated;
          frame = serverFrame(OPCODE_TEXT, body, true);
        }
        frames.set(update, frame);
      }
      return frame;
    },
    sharesUpdateChunk: false,
    preamble: () => undefined,
    heartbeat: PING_FRAME,
  };
}
