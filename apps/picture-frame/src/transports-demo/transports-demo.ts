import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '@tidings/hub';
import { FrameError } from '../errors.js';
import type { FrameLogger } from '../frame-hub.js';
import { answerFrameError, sendJson } from '../json-answer.js';
import { checkSameOrigin } from '../same-origin.js';
import { pageCsp, setCommonHeaders } from '../security-headers.js';
import { readRateRequest } from './rate-request.js';
import { Ticker } from './ticker.js';
import { TICKER_RATES } from './ticker-rate.js';
import { TICKER_TOPIC } from './ticker-topic.js';

/** How long the ticker goes on after the last subscriber to its topic left. */
export const DEFAULT_TICKER_IDLE_MS = 30_000;

export interface TransportsDemoOptions {
  /** Updates per second at start, one of TICKER_RATES. Default 1. */
  readonly rate?: number;
  /** Default DEFAULT_TICKER_IDLE_MS. */
  readonly idleMs?: number;
  readonly log: FrameLogger;
}

export interface TransportsDemo {
  readonly ticker: Ticker;
  /** Answers /transports, /transports/ and /transports/api/*; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): void;
}

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The transports demo at /transports (page in public/transports/): a ticker on one topic, which
 * the page receives over SSE, WebSocket, long-poll and poll side by side.
 *
 * Ticks enter the hub's history, unlike the emoji demo's broadcasts: a poll resumes from its
 * cursor in history, and that is the point of the comparison. So the ticker runs only while
 * someone subscribes to its topic (and DEFAULT_TICKER_IDLE_MS after), and at most 5 a second:
 * an unwatched demo adds nothing to the history the frame's pictures live in.
 */
export function startTransportsDemo(hub: Hub, o: TransportsDemoOptions): TransportsDemo {
  const ticker = new Ticker({
    rate: o.rate,
    publish: (data) => hub.publish({ topics: [TICKER_TOPIC], data }),
    onError: (err) => o.log.error({ err: String(err) }, 'ticker update lost'),
  });
  const idleMs = o.idleMs ?? DEFAULT_TICKER_IDLE_MS;
  let idle: NodeJS.Timeout | undefined;
  const watched = () => hub.subscriptions().some((s) => s.active && s.match === TICKER_TOPIC);
  const follow = () => {
    if (watched()) {
      clearTimeout(idle);
      idle = undefined;
      ticker.start();
    } else if (ticker.running && idle === undefined) {
      idle = setTimeout(() => {
        idle = undefined;
        if (!watched()) ticker.stop();
      }, idleMs);
      idle.unref();
    }
  };
  const unlisten = hub.onSubscriptionChange((s) => {
    if (s.match === TICKER_TOPIC) follow();
  });
  const csp = pageCsp([]);

  const state = () => ({
    topic: TICKER_TOPIC,
    rate: ticker.rate,
    rates: TICKER_RATES,
    running: ticker.running,
    published: ticker.published,
    // The page estimates its clock's offset from this (latency is its clock minus the hub's).
    now: Date.now(),
  });

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/transports/api/rate') {
      if (req.method !== 'POST') throw new FrameError('method_not_allowed', undefined, { Allow: 'POST' });
      checkSameOrigin(req, 'The ticker rate is changed from this site only.');
      const rate = await readRateRequest(req);
      ticker.setRate(rate);
      o.log.info({ rate }, 'ticker rate changed');
      return sendJson(res, 200, state());
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new FrameError('method_not_allowed', undefined, { Allow: 'GET, HEAD' });
    }
    sendJson(res, 200, state());
  }

  return {
    ticker,
    handle(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/transports' || path === '/transports/') {
        setCommonHeaders(res, csp);
        // WHATWG URL parsing percent-encodes the query: nothing the client sent reaches the head raw.
        const query = new URL(req.url ?? '/', 'http://transports.invalid').search;
        res.writeHead(302, { Location: `/transports/index.html${query}`, 'Cache-Control': 'no-store' });
        res.end();
        return true;
      }
      if (path !== '/transports/api/ticker' && path !== '/transports/api/rate') return false;
      setCommonHeaders(res, API_CSP);
      route(req, res, path).catch((err: unknown) => answerFrameError(req, res, err, o.log));
      return true;
    },
    close() {
      unlisten();
      clearTimeout(idle);
      ticker.stop();
    },
  };
}
