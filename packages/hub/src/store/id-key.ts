import { createHash } from 'node:crypto';

/**
 * LMDB keys are limited to a few hundred bytes (511 by default in LMDB, 1978 in lmdb-js), and an
 * update id may be longer (the hub bounds it, but well above that). Short ids are used as they are,
 * longer ones by their SHA-256: the two forms carry different prefixes so they never collide, and
 * readers compare the stored record's id anyway.
 */
export const MAX_RAW_ID_KEY_BYTES = 256;

export function idKey(id: string): string {
  if (Buffer.byteLength(id, 'utf8') <= MAX_RAW_ID_KEY_BYTES) return 's:' + id;
  return 'h:' + createHash('sha256').update(id, 'utf8').digest('base64url');
}
