import type { Redis } from 'ioredis';

/**
 * The part of a pino logger the engine uses (the hub passes its own): the engine does not
 * depend on pino, and any logger with these methods will do.
 */
export interface EngineLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Logs nothing: the default when no logger is given. */
export const SILENT: EngineLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What operators need to see of one Redis connection (issue 10): losing Redis (warn, once per
 * outage), each reconnect attempt (info: one line per backoff step, at most one every
 * `reconnectMaxMs`), and recovery with how long it was down (info). Errors while connected are
 * logged at warn; while down, the same error on every attempt is left to the attempt lines.
 */
export function logConnection(client: Redis, name: string, logger: EngineLogger, now: () => number): void {
  let lostAt: number | undefined;
  let attempts = 0;
  let started = false;
  client.on('ready', () => {
    if (lostAt !== undefined) {
      logger.info({ connection: name, downMs: now() - lostAt, attempts }, 'Redis connection recovered');
    } else if (started) {
      logger.debug({ connection: name }, 'Redis connection ready');
    }
    started = true;
    lostAt = undefined;
    attempts = 0;
  });
  client.on('close', () => {
    if (!started || lostAt !== undefined || client.status === 'end') return;
    lostAt = now();
    logger.warn({ connection: name }, 'lost the Redis connection; publishes answer 503 until it is back');
  });
  client.on('reconnecting', (delayMs: number) => {
    attempts++;
    logger.info({ connection: name, attempt: attempts, delayMs }, 'reconnecting to Redis');
  });
  client.on('error', (err: Error) => {
    if (lostAt === undefined && started) logger.warn({ connection: name, err: err.message }, 'Redis error');
    else logger.debug({ connection: name, err: err.message }, 'Redis error while reconnecting');
  });
}
