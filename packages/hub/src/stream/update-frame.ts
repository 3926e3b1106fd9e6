import type { Update, UpdateInit, UpdateRecord } from '../model/update.js';
import { chunkPayload, textChunk, toChunk } from './chunk.js';
import { encodeEvent, eventText } from './encode-event.js';

/** An update with its SSE frame, encoded once now (a publish). */
export function createUpdate(init: UpdateInit): Update {
  const { chunk, payloadAt } = textChunk(eventText(init));
  return {
    topics: init.topics,
    data: init.data,
    private: init.private,
    id: init.id,
    type: init.type,
    retry: init.retry,
    generatedId: init.generatedId,
    frame: chunk.subarray(payloadAt, chunk.length - 2),
    chunk,
  };
}

/**
 * An update read back from a store. Its frame is encoded on first use: a resume reads whole
 * pages of history and skips most of them (other topics), and encoding all of them made a
 * reconnect storm cost seconds of CPU.
 */
export function fromRecord(r: UpdateRecord): Update {
  let chunk: Buffer | undefined;
  const encoded = () => {
    chunk ??= toChunk(encodeEvent(r));
    return chunk;
  };
  return {
    topics: r.topics,
    data: r.data,
    private: r.private,
    id: r.id,
    type: r.type,
    retry: r.retry,
    get chunk() {
      return encoded();
    },
    get frame() {
      return chunkPayload(encoded());
    },
  };
}
