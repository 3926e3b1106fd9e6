/**
 * The transports demo's one topic: every tick is published here, and the page subscribes to it
 * four ways (SSE, WebSocket, long-poll, poll). GET /transports/api/ticker names it to the page.
 */
export const TICKER_TOPIC = 'https://tidings.local/transports/ticker';
