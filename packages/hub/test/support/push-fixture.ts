import { randomBytes } from 'node:crypto';
import { generateVapidKeys, type HubOptions } from '@tidings/hub';
import { FakePushService, type FakeSubscription, type ReceivedPush } from '@tidings/test-support';
import { TOKEN_TRUST } from '../auth-fixtures.js';
import { type HubFixture, startHub } from './hub-fixture.js';

/** A hub with push on, talking to a fake push service on loopback (packages/test-support). */
export interface PushFixture extends HubFixture {
  readonly service: FakePushService;
  /** POSTs a registration; resolves with the status and JSON body. */
  register(
    body: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>;
  /** A new browser subscription on the fake service, registered for `match` with a fresh presence topic. */
  subscriber(
    match: string | string[],
    extra?: { headers?: Record<string, string>; presence?: string | null },
  ): Promise<{ sub: FakeSubscription; presence: string }>;
  /** The parsed payloads pushed to `sub` so far. */
  payloads(sub: FakeSubscription): Array<{ topic?: string; id: string; type?: string; data?: string }>;
  close(): Promise<void>;
}

export function presenceTopic(): string {
  return `urn:tidings:presence:${randomBytes(16).toString('base64url')}`;
}

export async function startPushHub(options: HubOptions = {}): Promise<PushFixture> {
  const service = await FakePushService.start();
  // A hub with keys is in production: it must be given its VAPID pair and subject.
  const production = (options.publisherKeys ?? []).length > 0 || (options.subscriberKeys ?? []).length > 0;
  const fx = await startHub({
    // The issuer and audience the test tokens carry (auth-fixtures.ts).
    ...(production && TOKEN_TRUST),
    ...options,
    push: {
      allowHttpEndpoints: true,
      retryBaseMs: 50,
      retryMaxMs: 200,
      ...(production && { vapid: generateVapidKeys(), subject: 'mailto:ops@example.com' }),
      ...options.push,
    },
  });
  const key = (await (await fetch(`${fx.url}/push`)).json()) as { publicKey: string };
  service.expectedVapidKey = key.publicKey;
  const register = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${fx.url}/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  return {
    ...fx,
    service,
    register,
    async subscriber(match, extra = {}) {
      const sub = service.subscribe();
      const presence = extra.presence === undefined ? presenceTopic() : extra.presence;
      const answer = await register(
        { subscription: sub.json, match, ...(presence !== null && { presence }) },
        extra.headers,
      );
      if (answer.status !== 201)
        throw new Error(`registration answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return { sub, presence: presence ?? '' };
    },
    payloads(sub) {
      return service.for(sub).map((p: ReceivedPush) => JSON.parse(p.text));
    },
    async close() {
      await fx.close();
      await service.close();
    },
  };
}
