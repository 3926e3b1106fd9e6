import type { FlagSpec } from './flags.js';

/** Web Push (docs/push.md): on/off, the VAPID identity, what is sent, and its limits (docs/limits.md). */
export const PUSH_FLAGS: readonly FlagSpec[] = [
  {
    name: 'push',
    kind: 'boolean',
    default: 'false',
    help: 'Web Push to subscribers without a live stream, registered at /.well-known/mercure/push (docs/push.md)',
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
  {
    name: 'max-push-subscriptions',
    kind: 'number',
    default: '100000',
    help: 'push subscriptions kept in total (503)',
  },
  {
    name: 'max-push-subscriptions-per-subscriber',
    kind: 'number',
    default: '16',
    help: 'push subscriptions per subscriber: token sub, else presence topic (429)',
  },
  { name: 'max-push-queue', kind: 'number', default: '10000', help: 'push messages waiting or in flight' },
  { name: 'push-concurrency', kind: 'number', default: '16', help: 'requests to push services at once' },
  {
    name: 'push-timeout',
    kind: 'duration',
    default: '10s',
    help: 'deadline of one request to a push service',
  },
  { name: 'max-push-attempts', kind: 'number', default: '4', help: 'attempts per push message' },
];
