import { HUB_PATH } from '../defaults.js';
import { type FlagSpec, limitFlag } from './flag-spec.js';

/** Web Push (docs/push.md): on/off, the VAPID identity, what is sent, and its limits (docs/limits.md). */
export const PUSH_FLAGS: readonly FlagSpec[] = [
  {
    name: 'push',
    kind: 'boolean',
    default: 'false',
    help: `Web Push to subscribers without a live stream, registered at ${HUB_PATH}/push (docs/push.md)`,
  },
  {
    name: 'vapid-public-key',
    kind: 'string',
    help: 'VAPID public key, base64url (with a JWT key: required by --push; without: kept in <data-dir>/vapid.json)',
  },
  { name: 'vapid-private-key', kind: 'string', help: 'VAPID private key, base64url' },
  { name: 'vapid-subject', kind: 'string', help: 'contact push services may use: mailto: or https: URL' },
  {
    name: 'push-ttl',
    kind: 'duration',
    default: '24h',
    help: 'how long a push service keeps an undelivered push',
  },
  {
    name: 'push-urgency',
    kind: 'string',
    default: 'normal',
    help: 'Urgency of pushes: very-low, low, normal or high',
  },
  limitFlag('max-push-subscriptions', 'maxPushSubscriptions', 'push subscriptions kept in total (503)'),
  limitFlag(
    'max-push-subscriptions-per-subscriber',
    'maxPushSubscriptionsPerSubscriber',
    'push subscriptions per subscriber: token sub, else presence topic (429)',
  ),
  limitFlag('max-push-queue', 'maxPushQueue', 'push messages waiting or in flight'),
  limitFlag('push-concurrency', 'pushConcurrency', 'requests to push services at once'),
  limitFlag('push-timeout', 'pushTimeoutMs', 'deadline of one request to a push service', 'duration'),
  limitFlag('max-push-attempts', 'maxPushAttempts', 'attempts per push message'),
];
