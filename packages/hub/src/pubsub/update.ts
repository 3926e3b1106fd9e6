import { chunkPayload, textChunk, toChunk } from '../stream/chunk.js';
import { encodeEvent, eventText } from '../stream/encode-event.js';

/** What a publisher asked for, validated. */
export interface UpdateInit {
  /** The first topic is canonical (Mercure); the others are alternate topics. */
  readonly topics: readonly string[];
  readonly data: string;
  readonly private: boolean;
  readonly id: string;
  readonly type?: string | undefined;
  readonly retry?: number | undefined;
}

/**
 * An update as it travels through the hub: validated fields plus the SSE frame, encoded once
 * and shared by every subscriber (live and replay).
 */
export interface Update extends UpdateInit {
  /** The exact bytes of the SSE event, ending with the blank line that dispatches it. */
  readonly frame: Buffer;
  /** The same bytes as one HTTP/1.1 chunk: what is written to every subscriber (`frame` is a view into it). */
  readonly chunk: Buffer;
}

export function createUpdate(init: UpdateInit): Update {
  const { chunk, payloadAt } = textChunk(eventText(init));
  return {
    topics: init.topics,
    data: init.data,
    private: init.private,
    id: init.id,
    type: init.type,
    retry: init.retry,
    frame: chunk.subarray(payloadAt, chunk.length - 2),
    chunk,
  };
}

/** The JSON shape stores keep (no frame: it is rebuilt on load). */
export interface UpdateRecord {
  topics: string[];
  data: string;
  private: boolean;
  id: string;
  type?: string;
  retry?: number;
}

export function toRecord(u: UpdateInit): UpdateRecord {
  const r: UpdateRecord = { topics: [...u.topics], data: u.data, private: u.private, id: u.id };
  if (u.type !== undefined) r.type = u.type;
  if (u.retry !== undefined) r.retry = u.retry;
  return r;
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
