/**
 * Defaults stated once: the library options (HubOptions), the CLI flags and their `--help`, and
 * the docs take them from here (docs-limits test). Limits have their own table (limits.ts).
 */

/** The hub's path (Mercure "Discovery"): every route of the protocol is at or below it. */
export const HUB_PATH = '/.well-known/mercure';
/** HubOptions.hubUrl when not given. */
export const DEFAULT_HUB_URL = `http://localhost${HUB_PATH}`;
/** RFC 9728 protected resource metadata of the hub, at the path derived from the hub's. */
export const METADATA_PATH = `/.well-known/oauth-protected-resource${HUB_PATH}`;

/** Updates kept in the history of a library hub's default in-memory store (HubOptions.historySize). */
export const DEFAULT_HISTORY_SIZE = 1000;
/** Updates kept in the history by `tidings serve` (--history-size): durable (LMDB) by default, so more. */
export const CLI_HISTORY_SIZE = 10_000;
/** Comment heartbeat after this much silence, ms (HubOptions.heartbeatMs, --heartbeat). */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** `retry` sent at the start of each stream, ms (HubOptions.retryMs, --retry). */
export const DEFAULT_RETRY_MS = 2_000;
