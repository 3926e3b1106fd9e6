import type { Server } from 'node:http';
import type { Broker } from './broker/broker.js';
import type { LocalSubscriptions } from './broker/local-subscriptions.js';
import type { Engine } from './engine/engine.js';
import type { PreconnectedSockets } from './hub-server.js';
import type { Metrics } from './ops/metrics.js';
import type { PushService } from './push/push-service.js';
import type { Http2Transport } from './transports/http2/http2-transport.js';

/** How long open connections get to end by themselves before they are destroyed. */
const CLOSE_DEADLINE_MS = 5_000;

/** What a hub's shutdown ends, in order. */
export interface ShutdownParts {
  readonly server: Server;
  readonly http2: Http2Transport;
  readonly broker: Broker;
  readonly preconnected: PreconnectedSockets;
  readonly metrics: Metrics;
  readonly local: LocalSubscriptions;
  readonly push: PushService | undefined;
  readonly engine: Engine;
}

/**
 * Graceful shutdown: stop accepting, end every stream (clients reconnect elsewhere and resume
 * with Last-Event-ID), let in-flight publishes finish, close the engine.
 */
export async function shutDown(parts: ShutdownParts): Promise<void> {
  const { server, http2 } = parts;
  const listener = http2.listener;
  const closed = Promise.all([
    new Promise<void>((resolve) => server.close(() => resolve())),
    listener === server ? undefined : new Promise<void>((resolve) => listener.close(() => resolve())),
  ]);
  // GOAWAY before the streams end: their clients reconnect on a new connection, not this one.
  http2.goaway();
  const streams = [...parts.broker.subscribers()].map((sub) => sub.sink);
  for (const stream of streams) stream.close('shutdown');
  server.closeIdleConnections();
  // A pre-connected socket that never sent a request (browsers and undici open them) would
  // hold close() until the deadline: nothing is in flight on it, so it goes now.
  parts.preconnected.destroyAll();
  const deadline = setTimeout(() => {
    server.closeAllConnections();
    // Streams on raw sockets are not node:http's connections, nor are HTTP/2 sessions.
    for (const stream of streams) stream.destroy();
    http2.destroy();
  }, CLOSE_DEADLINE_MS);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  parts.metrics.close();
  parts.local.clear();
  await parts.push?.close();
  await parts.engine.close();
}
