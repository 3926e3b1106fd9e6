import { HUB_PATH } from '../defaults.js';
import { HubError } from '../errors.js';
import type { Limits } from '../limits.js';
import { FORMAT, isValidTopicText } from '../selector/topic-text.js';
import { checkEventId } from './event-id.js';
import type { UpdateInit } from './update.js';
import { updateIds } from './update-id.js';

/** What a publisher sends, before validation (form fields, or Hub.publish). */
export interface PublishRequest {
  readonly topics: readonly string[];
  readonly data?: string | undefined;
  readonly private?: boolean | undefined;
  readonly id?: string | undefined;
  readonly type?: string | undefined;
  readonly retry?: string | number | undefined;
}

export type PublishLimits = Pick<
  Limits,
  'maxTopicsPerPublish' | 'maxTopicLength' | 'maxIdLength' | 'maxTypeLength' | 'maxRetryMs'
>;

// C0, DEL, C1 and Cf (Mercure "Publication": types MUST NOT contain them; ids follow the same
// rule in event-id.ts).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const DIGITS = /^[0-9]+$/;
/** Topics resolving at or below the hub's path are the hub's own (Mercure "Publication"). */
const RESERVED_PATH = HUB_PATH;

/**
 * Checks a publish against the Mercure rules ("Publication") and our limits, and fills in the
 * id. Throws a HubError with a stable code for the first violation found.
 */
export function validateUpdate(req: PublishRequest, limits: PublishLimits, hubUrl: string): UpdateInit {
  if (req.topics.length === 0) throw new HubError('missing_topic');
  if (req.topics.length > limits.maxTopicsPerPublish) {
    throw new HubError('too_many_topics', `at most ${limits.maxTopicsPerPublish} topics per publish`);
  }
  for (const topic of req.topics) checkTopic(topic, limits, hubUrl);

  let id = req.id;
  let generatedId = false;
  if (id !== undefined && id !== '') {
    checkEventId(id, limits.maxIdLength);
  } else {
    // Mercure: "If omitted, the hub MUST generate a valid IRI".
    id = updateIds.next();
    generatedId = true;
  }

  const type = req.type === '' ? undefined : req.type;
  if (type !== undefined) {
    if (type.length > limits.maxTypeLength) {
      throw new HubError('field_too_large', `type longer than ${limits.maxTypeLength}`);
    }
    if (CONTROL.test(type) || FORMAT.test(type))
      throw new HubError('invalid_type', 'type contains a control or format character');
    if (type === 'mercure') throw new HubError('invalid_type', 'type "mercure" is reserved');
  }

  let retry: number | undefined;
  if (req.retry !== undefined && req.retry !== '') {
    const text = String(req.retry);
    // SSE: "If the field value consists of only ASCII digits" (HTML 9.2.6 "retry").
    if (!DIGITS.test(text) || text.length > 10)
      throw new HubError('invalid_retry', 'retry must be ASCII digits');
    retry = Number(text);
    if (retry > limits.maxRetryMs) throw new HubError('invalid_retry', `retry above ${limits.maxRetryMs} ms`);
  }

  return {
    topics: [...req.topics],
    data: req.data ?? '',
    private: req.private === true,
    id,
    type,
    retry,
    generatedId,
  };
}

function checkTopic(topic: string, limits: PublishLimits, hubUrl: string): void {
  if (topic.length > limits.maxTopicLength) {
    throw new HubError('field_too_large', `topic longer than ${limits.maxTopicLength}`);
  }
  if (topic === '') throw new HubError('invalid_topic', 'empty topic');
  if (!isValidTopicText(topic))
    throw new HubError('invalid_topic', 'topic contains a control or format character, or a lone surrogate');
  if (topic === '*') throw new HubError('wildcard_topic');
  if (isReserved(topic, hubUrl)) throw new HubError('reserved_topic');
}

/**
 * Mercure "Publication": a topic addresses the reserved namespace when, resolved against the
 * hub URL, its path is /.well-known/mercure or below it, whatever the scheme or authority.
 * Percent-encoded unreserved characters are decoded first, so `%6Dercure` is no way around it.
 */
export function isReserved(topic: string, hubUrl: string): boolean {
  // High-rate publishers use few topics, and parsing a URL was a visible share of a publish:
  // answers are remembered per (hub URL, topic), in a bounded map emptied when full.
  const key = `${hubUrl} ${topic}`;
  const known = reservedCache.get(key);
  if (known !== undefined) return known;
  const reserved = reservedPath(topic, hubUrl);
  if (reservedCache.size >= RESERVED_CACHE_SIZE) reservedCache.clear();
  reservedCache.set(key, reserved);
  return reserved;
}

const RESERVED_CACHE_SIZE = 4096;
const reservedCache = new Map<string, boolean>();

function reservedPath(topic: string, hubUrl: string): boolean {
  let path: string;
  try {
    path = new URL(topic, hubUrl).pathname;
  } catch {
    return false;
  }
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const c = String.fromCharCode(Number.parseInt(h, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m;
  });
  return path === RESERVED_PATH || path.startsWith(`${RESERVED_PATH}/`);
}
