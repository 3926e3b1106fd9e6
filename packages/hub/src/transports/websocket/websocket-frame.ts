/**
 * Server-to-client WebSocket frames (RFC 6455 5.2): never masked (5.1: a server MUST NOT mask),
 * so one frame's bytes are the same for every client and can be encoded once and shared.
 */
export const OPCODE_TEXT = 0x1;
export const OPCODE_PING = 0x9;

/** FIN set: each message is one frame (5.4: messages are never fragmented by this hub). */
const FIN = 0x80;
/** RSV1: the payload is compressed (RFC 7692 6: permessage-deflate's "Per-Message Compressed" bit). */
const RSV1 = 0x40;

/** One unfragmented frame: the payload length in 7, 7+16 or 7+64 bits (5.2 "Payload length"). */
export function serverFrame(opcode: number, payload: Buffer, compressed = false): Buffer {
  const length = payload.length;
  const headLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headLength + length);
  frame[0] = FIN | (compressed ? RSV1 : 0) | opcode;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // 5.2: the most significant bit MUST be 0; lengths here are far below 2^53.
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, headLength);
  return frame;
}

/** A text message (5.6: UTF-8). */
export function textFrame(text: string): Buffer {
  return serverFrame(OPCODE_TEXT, Buffer.from(text, 'utf8'));
}

/** An empty ping (5.5.2): the client answers with a pong, which tells the hub it is still there. */
export const PING_FRAME: Buffer = serverFrame(OPCODE_PING, Buffer.alloc(0));
