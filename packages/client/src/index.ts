export { backoffDelay } from './backoff.js';
export type { CursorStorage } from './cursor-store.js';
export { EventStreamParser, type ParsedEvent } from './event-stream-parser.js';
export { type MercureSubscription, mercureUrl } from './mercure-url.js';
export type { HeadersSource, TidingsEventSourceInit } from './options.js';
export { TidingsEventSource } from './tidings-event-source.js';
