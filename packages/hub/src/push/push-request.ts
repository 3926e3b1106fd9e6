import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import webpush from 'web-push';
import type { PushSubscriptionJson } from '../store/push-record.js';
import type { Urgency } from './push-options.js';
import type { VapidKeys } from './vapid-keys.js';

/** What one request to a push service came to. */
export type PushAnswer =
  | { readonly status: number; readonly retryAfterMs: number | undefined }
  | { readonly status: 0; readonly error: string };

export interface PushMessage {
  readonly subscription: PushSubscriptionJson;
  readonly payload: string;
  readonly ttlSeconds: number;
  readonly urgency: Urgency;
  readonly topic: string | undefined;
}

/** Sockets kept open per push-service host: every message to one service reuses a few connections. */
const agentOptions = { keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 60_000 };

/**
 * Sends Web Push messages (RFC 8030 5): web-push encrypts the payload (RFC 8291, aes128gcm) and
 * signs the VAPID token (RFC 8292) through its `generateRequestDetails`; the request itself is
 * made here, with node:http(s), so that it has a deadline, its own keep-alive agents, and works
 * for `http:` endpoints too (a local push service in tests; web-push sends over https only).
 */
export class PushRequester {
  readonly #vapid: { subject: string; publicKey: string; privateKey: string };
  readonly #http = new HttpAgent(agentOptions);
  readonly #https = new HttpsAgent(agentOptions);

  constructor(vapid: VapidKeys, subject: string) {
    this.#vapid = { subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey };
  }

  /** Never rejects: a network error or the deadline is `status: 0`. */
  send(message: PushMessage, timeoutMs: number): Promise<PushAnswer> {
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(message.subscription, message.payload, {
        vapidDetails: this.#vapid,
        TTL: message.ttlSeconds,
        urgency: message.urgency,
        ...(message.topic !== undefined && { topic: message.topic }),
      });
    } catch (err) {
      // A key the browser gave that does not decode, for one.
      return Promise.resolve({ status: 0, error: `cannot encrypt: ${(err as Error).message}` });
    }
    const url = new URL(details.endpoint);
    const https = url.protocol === 'https:';
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = v as string | number;
    return new Promise((resolve) => {
      let settled = false;
      const done = (answer: PushAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers,
        agent: https ? this.#https : this.#http,
      });
      // The whole exchange has one deadline: a push service that accepts the connection and
      // never answers costs a slot for timeoutMs, no longer.
      const timer = setTimeout(() => {
        req.destroy();
        done({ status: 0, error: `no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      req.on('response', (res: IncomingMessage) => {
        // The body says nothing we act on; it is read so the socket can be reused.
        res.resume();
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, retryAfterMs: retryAfter(res.headers['retry-after']) }),
        );
        res.on('error', () => done({ status: 0, error: 'the answer was cut off' }));
      });
      req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, error: err.code ?? err.message }));
      req.end(details.body ?? undefined);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

/** `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date, in ms from now; undefined when absent or unusable. */
export function retryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
