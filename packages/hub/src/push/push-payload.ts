import { createHash } from 'node:crypto';
import type { Update } from '../model/update.js';

/**
 * The largest plaintext one push message carries. A push service must accept 4096 bytes of
 * body (RFC 8030 7.2); with aes128gcm (RFC 8291 4) that body is the 86-byte header (salt 16,
 * record size 4, key id length 1, key id 65), then the one record: plaintext, the 0x02 padding
 * delimiter, and the 16-byte AEAD tag. 4096 - 86 - 1 - 16 = 3993.
 */
export const MAX_PUSH_PLAINTEXT = 3993;

/** What a service worker receives (`event.data.json()`), docs/push.md. */
export interface PushPayload {
  /** The update's canonical topic. */
  readonly topic?: string;
  readonly id: string;
  readonly type?: string;
  /** The update's data, when everything fits in MAX_PUSH_PLAINTEXT; else absent (fetch it by id). */
  readonly data?: string;
}

/**
 * The payload for an update: topic, id, type and data when it fits the 4 KB message, else the
 * same without data, else the id alone (a topic of 2048 characters outside ASCII can be 6 KB).
 */
export function pushPayload(update: Update): string {
  const head: { topic: string; id: string; type?: string } = { topic: update.topics[0]!, id: update.id };
  if (update.type !== undefined) head.type = update.type;
  const full = JSON.stringify({ ...head, data: update.data });
  if (Buffer.byteLength(full) <= MAX_PUSH_PLAINTEXT) return full;
  const short = JSON.stringify(head);
  if (Buffer.byteLength(short) <= MAX_PUSH_PLAINTEXT) return short;
  return JSON.stringify({ id: update.id });
}

/**
 * The `Topic` header of an update's pushes: 32 characters of the URL-safe base64 alphabet (the
 * most RFC 8030 5.4 allows), from a hash of the canonical topic, so that a push service keeps
 * only the newest undelivered message per topic and subscription, without learning the topic.
 */
export function topicHeader(topic: string): string {
  return createHash('sha256').update(topic).digest('base64url').slice(0, 32);
}
