/** The Redis keys one hub cluster uses, all derived from the history stream's key. */
export interface RedisKeys {
  /** The history stream. */
  readonly stream: string;
  /** Hash: update id -> stream id (resume in one lookup). */
  readonly ids: string;
  /** Hash: seq (last sequence number), ms (last append time), epoch. */
  readonly meta: string;
  /** A short stream for updates that are broadcast but not kept in history (subscription events). */
  readonly broadcast: string;
  /** Hash: push subscription id -> record JSON (redis-push-store.ts); `<push>:t:<topic>`, `<push>:o:<owner>` and `<push>:p` index it. */
  readonly push: string;
  /** Prefix of the presence sorted sets, one per presence key (redis-presence.ts). */
  readonly presence: string;
}

export const DEFAULT_STREAM_KEY = 'tidings';

export function redisKeys(streamKey: string = DEFAULT_STREAM_KEY): RedisKeys {
  return {
    stream: streamKey,
    ids: `${streamKey}:ids`,
    meta: `${streamKey}:meta`,
    broadcast: `${streamKey}:broadcast`,
    push: `${streamKey}:push`,
    presence: `${streamKey}:presence:`,
  };
}
