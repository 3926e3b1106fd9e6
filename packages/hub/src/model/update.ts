/** What a publisher asked for, validated. */
export interface UpdateInit {
  /** The first topic is canonical (Mercure); the others are alternate topics. */
  readonly topics: readonly string[];
  readonly data: string;
  readonly private: boolean;
  readonly id: string;
  readonly type?: string | undefined;
  readonly retry?: number | undefined;
  /**
   * True when the hub generated `id` (model/update-id.ts: a UUIDv7 made now, 74 random bits), not
   * the publisher: no update already in history can carry it, so a store may skip its
   * duplicate-id lookup (store/lmdb-appender.ts). Never set it on an id that came from outside.
   */
  readonly generatedId?: boolean | undefined;
}

/**
 * An update as it travels through the hub: validated fields plus the SSE frame, encoded once
 * and shared by every subscriber (live and replay). The frame is built by stream/update-frame.ts
 * (`createUpdate`, `fromRecord`): the model knows it is there, not how it is framed.
 */
export interface Update extends UpdateInit {
  /** The exact bytes of the SSE event, ending with the blank line that dispatches it. */
  readonly frame: Buffer;
  /** The same bytes as one HTTP/1.1 chunk: what is written to every subscriber (`frame` is a view into it). */
  readonly chunk: Buffer;
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
