import { createECDH, type ECDH, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkVapid, decryptPush, type Vapid } from './fake-push-crypto.js';

/**
 * A push service for tests (RFC 8030), on a free loopback port, written from the RFCs with
 * node:crypto alone (nothing shared with the sender under test, fake-push-crypto.ts): it checks
 * each push's VAPID token and signature (RFC 8292), decrypts its aes128gcm payload with the
 * subscription's private keys (RFC 8291, RFC 8188), checks `TTL`, `Urgency` and `Topic`, and answers what the test
 * asked for: 201 by default, or 404, 410, 429 with `Retry-After`, 500, or no answer at all.
 */

/** What a browser's `PushSubscription.toJSON()` gives, for a subscription on this service. */
export interface FakeSubscriptionJson {
  readonly endpoint: string;
  readonly expirationTime: null;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface FakeSubscription {
  /** The id in the endpoint's path. */
  readonly id: string;
  readonly json: FakeSubscriptionJson;
}

/** What the service answers a push: a status, 429 with its Retry-After, or `hang` (never answers). */
export type FakeAnswer =
  | 201
  | 404
  | 410
  | 500
  | 503
  | { readonly status: 429; readonly retryAfter: string }
  | 'hang';

/** One push as received: checked, decrypted, and what it was answered. */
export interface ReceivedPush {
  readonly subscription: string;
  readonly ttl: number;
  readonly urgency: string | undefined;
  readonly topic: string | undefined;
  /** The decrypted payload. */
  readonly text: string;
  /** The VAPID public key (`k`) and claims. */
  readonly vapidKey: Vapid['vapidKey'];
  readonly claims: Vapid['claims'];
  readonly answer: FakeAnswer;
  readonly at: number;
}

interface Keys {
  readonly ecdh: ECDH;
  readonly auth: Buffer;
}

const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);
/** RFC 8030 7.2: a push service must accept 4096 bytes of payload (the encrypted body). */
const MAX_BODY = 4096;

export class FakePushService {
  readonly origin: string;
  /** Pushes that passed every check, in arrival order (whatever they were answered). */
  readonly received: ReceivedPush[] = [];
  /** Requests refused for breaking a rule (answered 400): a test expects none. */
  readonly violations: string[] = [];
  /** Requests of any kind, answered or not. */
  requests = 0;
  readonly #server: Server;
  readonly #keys = new Map<string, Keys>();
  readonly #answers = new Map<string, FakeAnswer[]>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #waiters: { ok: (p: ReceivedPush) => boolean; resolve: (p: ReceivedPush) => void }[] = [];
  /** When set, `k` must be this key. */
  expectedVapidKey: string | undefined;

  private constructor(server: Server, origin: string) {
    this.#server = server;
    this.origin = origin;
  }

  static async start(): Promise<FakePushService> {
    let service: FakePushService | undefined;
    const server = createServer((req, res) => service!.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    service = new FakePushService(server, `http://127.0.0.1:${port}`);
    return service;
  }

  /** A new subscription, as a browser would make: its own P-256 key pair and auth secret. */
  subscribe(): FakeSubscription {
    const id = randomUUID();
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#keys.set(id, { ecdh, auth });
    return {
      id,
      json: {
        endpoint: `${this.origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
      },
    };
  }

  /** The next pushes to `subscription` get these answers, in order; 201 after them. */
  answer(subscription: FakeSubscription, ...answers: FakeAnswer[]): void {
    this.#answers.set(subscription.id, [...(this.#answers.get(subscription.id) ?? []), ...answers]);
  }

  /** Pushes received for a subscription. */
  for(subscription: FakeSubscription): ReceivedPush[] {
    return this.received.filter((p) => p.subscription === subscription.id);
  }

  /** Resolves with the first push (already received or coming) that `ok` accepts; rejects after `timeoutMs`. */
  next(ok: (p: ReceivedPush) => boolean, timeoutMs = 10_000): Promise<ReceivedPush> {
    const found = this.received.find(ok);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        ok,
        resolve: (p: ReceivedPush) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `no matching push within ${timeoutMs} ms (received ${this.received.length}, violations: ${this.violations.join('; ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const id = /^\/push\/([0-9a-f-]+)$/.exec(req.url ?? '')?.[1];
    const keys = id === undefined ? undefined : this.#keys.get(id);
    if (req.method !== 'POST' || id === undefined) return void res.writeHead(404).end();
    if (keys === undefined) return void res.writeHead(410).end();
    let push: Omit<ReceivedPush, 'answer' | 'at'>;
    try {
      push = this.#check(req, body, id, keys);
    } catch (err) {
      this.violations.push((err as Error).message);
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end((err as Error).message);
      return;
    }
    const answer = this.#answers.get(id)?.shift() ?? 201;
    const received: ReceivedPush = { ...push, answer, at: Date.now() };
    this.received.push(received);
    for (const w of [...this.#waiters]) {
      if (w.ok(received)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(received);
      }
    }
    if (answer === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (typeof answer === 'object') {
      res.writeHead(429, { 'Retry-After': answer.retryAfter }).end();
      return;
    }
    // RFC 8030 5: 201 Created, with the message's Location.
    res.writeHead(answer, answer === 201 ? { Location: `${this.origin}/message/${randomUUID()}` } : {}).end();
  }

  #check(req: IncomingMessage, body: Buffer, id: string, keys: Keys): Omit<ReceivedPush, 'answer' | 'at'> {
    // RFC 8030 5.2: TTL is required, delta-seconds.
    const ttl = req.headers['ttl'];
    if (typeof ttl !== 'string' || !/^\d+$/.test(ttl))
      throw new Error(`TTL missing or malformed: ${String(ttl)}`);
    const urgency = req.headers['urgency'];
    if (urgency !== undefined && (typeof urgency !== 'string' || !URGENCIES.has(urgency))) {
      throw new Error(`Urgency not one of RFC 8030 5.3: ${String(urgency)}`);
    }
    const topic = req.headers['topic'];
    if (topic !== undefined && (typeof topic !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(topic))) {
      throw new Error(`Topic is not 1 to 32 URL-safe base64 characters (RFC 8030 5.4): ${String(topic)}`);
    }
    const { vapidKey, claims } = checkVapid(req.headers.authorization, this.origin, this.expectedVapidKey);
    if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error('Content-Encoding is not aes128gcm');
    if (body.length > MAX_BODY) throw new Error(`body of ${body.length} bytes is over 4096`);
    return {
      subscription: id,
      ttl: Number(ttl),
      urgency: urgency as string | undefined,
      topic: topic as string | undefined,
      text: decryptPush(body, keys).toString('utf8'),
      vapidKey,
      claims,
    };
  }
}
