import type { PresenceBoard } from '../broker/presence.js';
import type { Update } from '../model/update.js';
import type { PushStore } from '../store/push-store.js';
import type { HistoryStore } from '../store/store.js';

/**
 * An engine carries updates from publishers to every hub process's subscribers, in one order,
 * and keeps history (Mercure calls this the Transport). The local engine serves one process;
 * the Redis engine (@tidings/redis) makes several processes one hub.
 */
export interface Engine {
  /** History, for replay on resume. */
  readonly history: HistoryStore;

  /**
   * Stores and broadcasts. Resolves once the update is acknowledged (durably stored as the
   * backend promises); rejects with a HubError (store_unavailable, duplicate_id...) otherwise,
   * and then the update is not delivered anywhere.
   */
  publish(update: Update): Promise<void>;

  /**
   * Broadcasts an update that is not kept in history (subscription events: they would evict
   * real updates and a reconnect storm would turn into a write storm). Optional: without it the
   * hub delivers such updates to its own subscribers only.
   */
  broadcast?(update: Update): Promise<void>;

  /** Every update, from every node, in the same order everywhere (history order). */
  onUpdate(listener: (update: Update) => void): void;

  /**
   * Where Web Push subscriptions are kept (store/push-store.ts), as durable and as shared as
   * history. Called once, when the hub has push on. Optional: the hub keeps them in memory.
   */
  openPushStore?(): PushStore;

  /**
   * Presence shared by every node (broker/presence.ts): which streams are live anywhere. Called
   * once, when the hub has push on. Optional: an engine of one process needs none.
   */
  openPresence?(): PresenceBoard;

  /** False while the backend is unreachable: /readyz answers 503 and publishes 503. */
  isReady(): boolean;

  close(): Promise<void>;
}
