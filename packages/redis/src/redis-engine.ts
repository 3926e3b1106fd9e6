import { randomUUID } from 'node:crypto';
import {
  type Engine,
  fromRecord,
  HubError,
  redactPassword,
  toRecord,
  type Update,
  type UpdateRecord,
} from '@tidings/hub';
import type { Redis } from 'ioredis';
import { type EngineLogger, logConnection, SILENT } from './connection-log.js';
import { redisClients } from './redis-clients.js';
import { RedisPresence } from './redis-presence.js';
import { RedisPushStore } from './redis-push-store.js';
import { RedisStore } from './redis-store.js';

export interface RedisEngineOptions {
  /** `redis://[user:password@]host:port/db` (`--transport`). */
  readonly url: string;
  /** Key of the history stream (the other keys derive from it). Default `tidings`. */
  readonly streamKey?: string;
  /** How many updates history keeps (`--history-size`). Default 1000. */
  readonly maxLen?: number;
  /** Updates older than this are no longer replayed (`--history-max-age`). Default: no limit. */
  readonly maxAgeMs?: number;
  /** How many broadcast-only updates (subscription events) Redis keeps for slow nodes. Default 1000. */
  readonly broadcastMaxLen?: number;
  /** A command (publish, history read) that Redis has not answered after this fails with 503. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** XREAD BLOCK duration; also how long a dead reader connection can go unnoticed. Default 2000. */
  readonly readBlockMs?: number;
  /** Entries fetched per XREAD. Default 500. */
  readonly readCount?: number;
  /** Reconnect backoff: first delay, doubled per attempt up to the max, plus jitter. Defaults 50 and 2000. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** How long createRedisEngine waits for the first connection before giving up. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Clock for stream ids and age retention. Default Date.now. */
  readonly now?: () => number;
  /** How long a node's presence (broker/presence.ts) outlives its last refresh, if the node dies. Default 30000. */
  readonly presenceTtlMs?: number;
  /** Where losing Redis, reconnecting and recovering are logged (the hub's pino logger). Default: nowhere. */
  readonly logger?: EngineLogger;
}

/** A stream id: `<ms>-<n>`. */
type StreamId = string;
type StreamEntries = [StreamId, string[]][];

/**
 * Several hub processes become one hub: history lives in a Redis Stream (RedisStore), and every
 * node follows the stream with XREAD BLOCK from the last entry it has seen, so every node
 * delivers the same updates in the same order (the stream's), whichever node received them.
 *
 * `publish` resolves once the XADD is answered (the update is in history); local subscribers get it
 * from the stream like everyone else's. While Redis is unreachable the clients reconnect with
 * backoff, `isReady()` is false and `publish` rejects with store_unavailable (503) at once, never
 * queued. After a reconnect the reader continues from its last seen id: nothing is skipped, and
 * nothing delivered twice.
 */
export class RedisEngine implements Engine {
  readonly history: RedisStore;
  readonly #commands: Redis;
  readonly #reader: Redis;
  readonly #listeners: ((u: Update) => void)[] = [];
  readonly #readBlockMs: number;
  readonly #readCount: number;
  readonly #broadcastMaxLen: number;
  /** Last entry delivered, per stream; undefined until the reader has positioned itself. */
  #lastHistory: StreamId | undefined;
  #lastBroadcast: StreamId | undefined;
  #epoch: string | undefined;
  #positioned = false;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  readonly #log: EngineLogger;
  readonly #presenceTtlMs: number | undefined;
  readonly #now: () => number;
  /** The last follow error logged, and when: a persistent one is logged every 30 s, not every 50 ms. */
  #lastError: { message: string; at: number } | undefined;

  constructor(options: RedisEngineOptions) {
    this.#readBlockMs = Math.max(10, options.readBlockMs ?? 2000);
    this.#readCount = Math.max(1, options.readCount ?? 500);
    this.#broadcastMaxLen = Math.max(1, options.broadcastMaxLen ?? 1000);
    const clients = redisClients(options, this.#readBlockMs);
    this.#commands = clients.commands;
    this.#reader = clients.reader;
    // Errors also show as readiness and rejected commands; the listeners log them (without one,
    // ioredis would print every reconnect failure to stderr).
    this.#log = options.logger ?? SILENT;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#presenceTtlMs = options.presenceTtlMs;
    logConnection(this.#commands, 'commands', this.#log, now);
    logConnection(this.#reader, 'reader', this.#log, now);
    this.#reader.on('ready', () => this.#wake?.());
    this.history = new RedisStore({
      client: this.#commands,
      streamKey: options.streamKey,
      maxLen: options.maxLen,
      maxAgeMs: options.maxAgeMs,
      now: options.now,
    });
  }

  /** Connects both clients (rejects if Redis is unreachable), trims, then starts following the stream. */
  async start(): Promise<void> {
    await Promise.all([this.#commands.connect(), this.#reader.connect()]);
    await this.history.trimAll();
    await this.#position();
    this.#loop = this.#follow();
  }

  /**
   * Where to start reading: after the newest entry now (older ones are history, for replay). On a
   * reconnect, the epoch tells whether Redis still has the same history: if it was wiped (a new
   * epoch, or none), the reader starts at the beginning of the new stream, which only holds updates
   * published since.
   */
  async #position(): Promise<void> {
    const keys = this.history.keys;
    await this.#reader.hsetnx(keys.meta, 'epoch', randomUUID());
    const [[, epoch], [, lastH], [, lastB]] = (await this.#reader
      .multi()
      .hget(keys.meta, 'epoch')
      .xrevrange(keys.stream, '+', '-', 'COUNT', 1)
      .xrevrange(keys.broadcast, '+', '-', 'COUNT', 1)
      .exec()) as [[null, string | null], [null, StreamEntries], [null, StreamEntries]];
    if (this.#lastHistory === undefined) {
      this.#lastHistory = lastH[0]?.[0] ?? '0-0';
      this.#lastBroadcast = lastB[0]?.[0] ?? '0-0';
    } else if (epoch !== this.#epoch) {
      this.#lastHistory = '0-0';
      this.#lastBroadcast = '0-0';
    }
    this.#epoch = epoch ?? undefined;
    this.#positioned = true;
  }

  async #follow(): Promise<void> {
    const keys = this.history.keys;
    while (!this.#closed) {
      if (this.#reader.status !== 'ready') {
        this.#positioned = false;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          // Also re-check now and then, in case the ready event came before the wake was set.
          setTimeout(resolve, 200).unref();
        });
        this.#wake = undefined;
        continue;
      }
      try {
        if (!this.#positioned) await this.#position();
        const reply = (await this.#reader.xread(
          'COUNT',
          this.#readCount,
          'BLOCK',
          this.#readBlockMs,
          'STREAMS',
          keys.stream,
          keys.broadcast,
          this.#lastHistory!,
          this.#lastBroadcast!,
        )) as [string, StreamEntries][] | null;
        if (reply === null) continue;
        for (const [key, entries] of reply) {
          for (const [sid, fields] of entries) {
            if (key === keys.stream) {
              this.#lastHistory = sid;
              // Fields: i <id> s <seq> r <record>
              this.#deliver(fields[5]);
            } else {
              this.#lastBroadcast = sid;
              this.#deliver(fields[1]);
            }
          }
        }
      } catch (err) {
        // Disconnected or timed out: the loop waits for the reconnect and re-checks the epoch.
        // A short pause keeps a persistent error (e.g. WRONGTYPE) from spinning.
        this.#positioned = false;
        if (!this.#closed) this.#logFollowError(err);
        if (!this.#closed) await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  #deliver(json: string | undefined): void {
    if (json === undefined) return;
    let update: Update;
    try {
      update = fromRecord(JSON.parse(json) as UpdateRecord);
    } catch (err) {
      // Not ours: skipped rather than stall every node on it, and said.
      this.#log.warn({ err: (err as Error).message }, 'skipped a Redis stream entry that is not an update');
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch (err) {
        // One listener's failure must not stop delivery to the others.
        this.#log.error({ err, id: update.id }, 'an update listener failed');
      }
    }
  }

  #logFollowError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const at = Date.now();
    const last = this.#lastError;
    if (last !== undefined && last.message === message && at - last.at < 30_000) return;
    this.#lastError = { message, at };
    // While Redis is down the connection lines say it all; an error while connected is news.
    if (this.#reader.status === 'ready') this.#log.warn({ err: message }, 'reading the Redis stream failed');
    else this.#log.debug({ err: message }, 'reading the Redis stream stopped (disconnected)');
  }

  isReady(): boolean {
    return (
      !this.#closed &&
      this.#commands.status === 'ready' &&
      this.#reader.status === 'ready' &&
      this.#positioned
    );
  }

  async publish(update: Update): Promise<void> {
    if (this.#closed) throw new HubError('shutting_down');
    if (this.#commands.status !== 'ready') throw new HubError('store_unavailable', 'Redis is not connected');
    await this.history.append(update);
  }

  async broadcast(update: Update): Promise<void> {
    if (this.#closed) throw new HubError('shutting_down');
    try {
      await this.#commands.xadd(
        this.history.keys.broadcast,
        'MAXLEN',
        '~',
        this.#broadcastMaxLen,
        '*',
        'r',
        JSON.stringify(toRecord(update)),
      );
    } catch (err) {
      throw new HubError('store_unavailable', `Redis: ${(err as Error).message}`);
    }
  }

  onUpdate(listener: (update: Update) => void): void {
    this.#listeners.push(listener);
  }

  /** Push subscriptions in Redis, beside history: every node sees the same ones. */
  openPushStore(): RedisPushStore {
    return new RedisPushStore(this.#commands, this.history.keys);
  }

  /** Presence in Redis: a stream on any node counts. */
  openPresence(): RedisPresence {
    return new RedisPresence(this.#commands, this.history.keys.presence, this.#log, {
      ...(this.#presenceTtlMs !== undefined && { ttlMs: this.#presenceTtlMs }),
      now: this.#now,
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#reader.disconnect();
    await this.#loop;
    await this.history.close();
    await this.#commands.quit().catch(() => this.#commands.disconnect());
  }
}

/** Connects to Redis and starts following the shared stream; rejects if Redis cannot be reached. */
export async function createRedisEngine(options: RedisEngineOptions): Promise<Engine> {
  const engine = new RedisEngine(options);
  try {
    await engine.start();
  } catch (err) {
    await engine.close();
    throw new Error(`Cannot use Redis at ${redactPassword(options.url)}: ${(err as Error).message}`);
  }
  return engine;
}
