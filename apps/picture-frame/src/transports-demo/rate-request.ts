import type { IncomingMessage } from 'node:http';
import { readFormOrJson } from '../form-or-json.js';
import { parseTickerRate } from './ticker-rate.js';

/** The largest POST /transports/api/rate body read, in bytes (`{"rate":0.5}` is 12). */
export const MAX_RATE_BODY_BYTES = 256;

/**
 * The rate a POST /transports/api/rate asks for: `{"rate": 0.5}` (JSON) or `rate=0.5` (a form),
 * at most MAX_RATE_BODY_BYTES, one of TICKER_RATES (400 `invalid_rate` otherwise, with the list).
 */
export async function readRateRequest(req: IncomingMessage): Promise<number> {
  const field = await readFormOrJson(req, MAX_RATE_BODY_BYTES, '{"rate": 1}');
  return parseTickerRate(field('rate'));
}
