import { FrameError } from '../errors.js';

/**
 * The rates a visitor may pick for the ticker, in updates per second. A closed list, not a
 * range: the rate is shared by everyone watching and every tick enters the hub's history, so
 * the most anyone can ask for is the largest of these (5 a second), whoever asks and how often.
 */
export const TICKER_RATES: readonly number[] = Object.freeze([0.2, 0.5, 1, 2, 5]);

/** The rate the ticker starts at. */
export const DEFAULT_TICKER_RATE = 1;

/** A rate sent by a client (a JSON number or a form's text): one of TICKER_RATES, else 400 `invalid_rate`. */
export function parseTickerRate(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  if (!TICKER_RATES.includes(n)) {
    throw new FrameError(
      'invalid_rate',
      `The rate must be one of ${TICKER_RATES.join(', ')} updates per second; got ${JSON.stringify(value) ?? 'nothing'}.`,
    );
  }
  return n;
}
