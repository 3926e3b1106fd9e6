import type { HistoryReader } from './frame-hub.js';
import type { Picture } from './picture.js';
import { isRecord } from './providers/provider.js';
import { PICTURE_EVENT, VIEWERS_EVENT } from './topic.js';

/** A picture JSON read back (from history): the shape checked, or null. */
export function parsePicture(value: unknown): Picture | null {
  if (!isRecord(value)) return null;
  for (const k of ['url', 'keyword', 'title', 'credit', 'license', 'source']) {
    if (typeof value[k] !== 'string') return null;
  }
  return value as unknown as Picture;
}

const PAGE = 500;

/**
 * The picture on show, read back from the hub's durable history after a restart: the last
 * `picture` event on the topic, or the `current` a later `viewers` event carried (so a picture
 * whose own event was trimmed from history is still found). Reads are paged and bounded by
 * history's own size.
 */
export async function recoverCurrentPicture(history: HistoryReader, topic: string): Promise<Picture | null> {
  let current: Picture | null = null;
  let after = 'earliest';
  for (;;) {
    const page = await history.readAfter(after, PAGE);
    for (const u of page.updates) {
      if (u.topics[0] !== topic) continue;
      let data: unknown;
      try {
        data = JSON.parse(u.data);
      } catch {
        continue;
      }
      if (u.type === PICTURE_EVENT) current = parsePicture(data) ?? current;
      else if (u.type === VIEWERS_EVENT && isRecord(data)) current = parsePicture(data['current']) ?? current;
    }
    const last = page.updates.at(-1);
    if (!page.more || last === undefined) return current;
    after = last.id;
  }
}
