import { DEV_ISSUER } from '../auth/auth-options.js';
import { DEFAULT_TOKEN_CACHE_SIZE } from '../auth/verified-token-cache.js';
import { CLI_HISTORY_SIZE, DEFAULT_HEARTBEAT_MS, DEFAULT_RETRY_MS, HUB_PATH } from '../defaults.js';
import {
  envName,
  type FlagSpec,
  type FlagValues,
  formatDuration,
  limitFlag,
  parseDuration,
} from './flag-spec.js';
import { PUSH_FLAGS } from './push-flags.js';

export { envName, type FlagSpec, type FlagValues, parseDuration } from './flag-spec.js';

/** The flags of `tidings serve`, in `--help` order (flag-spec.ts: how they are read). */
export const FLAGS: readonly FlagSpec[] = [
  { name: 'port', kind: 'number', default: '3000', help: 'TCP port to listen on' },
  {
    name: 'host',
    kind: 'string',
    default: '127.0.0.1',
    help: 'address to listen on (0.0.0.0 for all interfaces)',
  },
  {
    name: 'hub-url',
    kind: 'string',
    help: `public URL of the hub (default http://<host>:<port>${HUB_PATH})`,
  },
  {
    name: 'tls-cert',
    kind: 'string',
    help: 'PEM certificate chain: serve TLS, HTTP/2 and HTTP/1.1 on the port (by ALPN); reloaded on SIGHUP',
  },
  { name: 'tls-key', kind: 'string', help: 'PEM private key of --tls-cert (reloaded with it)' },
  {
    name: 'tls-self-signed',
    kind: 'boolean',
    default: 'false',
    help: 'serve TLS with a development certificate for localhost, made once and kept in --data-dir',
  },
  {
    name: 'jwt-key',
    kind: 'list',
    help: 'key for publisher and subscriber tokens: HMAC secret, PEM, PEM file or JWKS file',
  },
  { name: 'publisher-jwt-key', kind: 'list', help: 'key for publisher tokens only (overrides --jwt-key)' },
  { name: 'subscriber-jwt-key', kind: 'list', help: 'key for subscriber tokens only (overrides --jwt-key)' },
  {
    name: 'jwt-alg',
    kind: 'list',
    default: 'EdDSA,ES256,ES384,RS256,RS384,RS512,PS256,HS256,HS384,HS512',
    help: 'allowed JWT algorithms, comma-separated',
  },
  {
    name: 'jwt-issuer',
    kind: 'string',
    help: `the trusted issuer: iss that at+jwt tokens must carry (default ${DEV_ISSUER} with a secret given on the command line; else at+jwt tokens are refused)`,
  },
  {
    name: 'jwt-audience',
    kind: 'string',
    help: 'aud that at+jwt tokens must carry (the hub resource identifier; default the hub URL)',
  },
  {
    name: 'token-cache-size',
    kind: 'number',
    default: String(DEFAULT_TOKEN_CACHE_SIZE),
    help: 'verified tokens kept per role until their exp, so a token presented again is not verified again (0 = off)',
  },
  {
    name: 'anonymous',
    kind: 'boolean',
    default: 'false',
    help: 'let subscribers in without a token (public updates only)',
  },
  {
    name: 'cors-origins',
    kind: 'list',
    default: '',
    help: 'origins allowed by CORS, comma-separated (* = any, no credentials)',
  },
  {
    name: 'publish-origins',
    kind: 'list',
    help: 'origins allowed to publish with a cookie (default: --cors-origins)',
  },
  {
    name: 'transport',
    kind: 'string',
    default: 'lmdb',
    help: 'history and fan-out: lmdb (embedded, durable), memory, or redis://host:port/db',
  },
  {
    name: 'data-dir',
    kind: 'string',
    default: '.tidings-data',
    help: 'directory of the embedded store (created if missing)',
  },
  {
    name: 'history-size',
    kind: 'number',
    default: String(CLI_HISTORY_SIZE),
    help: 'updates kept in history',
  },
  {
    name: 'history-max-age',
    kind: 'duration',
    default: '0',
    help: 'drop history older than this (0 = keep by count only)',
  },
  {
    name: 'heartbeat',
    kind: 'duration',
    default: formatDuration(DEFAULT_HEARTBEAT_MS),
    help: 'comment sent after this much silence on a stream (0 = off)',
  },
  {
    name: 'retry',
    kind: 'duration',
    default: formatDuration(DEFAULT_RETRY_MS),
    help: 'reconnection delay sent to clients (plus up to 50% jitter)',
  },
  {
    name: 'subscriptions',
    kind: 'boolean',
    default: 'true',
    help: 'Active Subscriptions: subscription events and listing',
  },
  limitFlag('max-body', 'maxBodyBytes', 'largest publish body in bytes (413)'),
  {
    name: 'conflate-topics',
    kind: 'list',
    default: '',
    help: 'URL patterns of topics conflated for everyone: their subscribers get at most --conflate-rate events/s, the latest per topic',
  },
  {
    name: 'conflate-rate',
    kind: 'number',
    default: '10',
    help: 'events per second for subscribers of --conflate-topics (0.1 to 1000)',
  },
  limitFlag('max-batch-updates', 'maxBatchUpdates', 'updates in one batch publish (400)'),
  limitFlag('max-topics', 'maxTopicsPerPublish', 'topics per publish (413)'),
  limitFlag('max-selectors', 'maxSelectorsPerSubscribe', 'selectors per subscription (400)'),
  limitFlag(
    'max-selector-program-size',
    'maxSelectorProgramSize',
    'RE2 instructions one URL pattern or URI template may compile to (400)',
  ),
  limitFlag(
    'max-selector-variable-parts',
    'maxSelectorVariableParts',
    'groups, wildcards or variables in one URL pattern or URI template (400)',
  ),
  limitFlag('publish-rate', 'publishRatePerSecond', 'publishes per second per client, 0 = unlimited (429)'),
  limitFlag('publish-burst', 'publishBurst', 'publish burst per client'),
  limitFlag(
    'publish-token-rate',
    'publishTokenRatePerSecond',
    'publishes per second per client with a token in the Authorization header, 0 = unlimited (429)',
  ),
  limitFlag('max-subscribers', 'maxSubscribers', 'open streams in total (503)'),
  limitFlag(
    'max-patterns',
    'maxPatterns',
    'distinct URL patterns and URI templates subscribed to at once (503)',
  ),
  limitFlag('max-subscribers-per-client', 'maxSubscribersPerClient', 'open streams per client address (429)'),
  limitFlag(
    'max-concurrent-replays',
    'maxConcurrentReplays',
    'resumes replaying history at once; the others wait their turn in order',
  ),
  limitFlag('max-queued-replays', 'maxQueuedReplays', 'resumes waiting for a replay slot (503 past it)'),
  limitFlag('max-queue-bytes', 'maxQueueBytes', 'per-subscriber queue in bytes before it is dropped'),
  limitFlag('max-queue-events', 'maxQueueEvents', 'per-subscriber queue in events before it is dropped'),
  limitFlag(
    'write-timeout',
    'writeTimeoutMs',
    'drop a subscriber whose socket does not drain for this long',
    'duration',
  ),
  limitFlag(
    'max-lifetime',
    'maxStreamLifetimeMs',
    'end streams after this long, minus up to --lifetime-jitter of it at random (0 = never)',
    'duration',
  ),
  limitFlag(
    'lifetime-jitter',
    'lifetimeJitter',
    'fraction of --max-lifetime taken off at random per stream, so streams opened together do not end together',
  ),
  ...PUSH_FLAGS,
  limitFlag(
    'h2-max-concurrent-streams',
    'h2MaxConcurrentStreams',
    'streams open at once on one HTTP/2 connection (raise it behind a proxy that multiplexes clients over h2c)',
  ),
  {
    name: 'trust-proxy',
    kind: 'boolean',
    default: 'false',
    help: 'count clients by X-Forwarded-For (only behind your proxy)',
  },
  {
    name: 'log-level',
    kind: 'string',
    default: 'info',
    help: 'fatal, error, warn, info, debug, trace or silent',
  },
  {
    name: 'debug-ui',
    kind: 'boolean',
    help: `the debug page at ${HUB_PATH}/ui/ (default: on without keys, off with them)`,
  },
  {
    name: 'log-format',
    kind: 'string',
    default: 'auto',
    help: 'auto (human lines on a terminal, JSON lines otherwise), json or pretty',
  },
];

function convert(spec: FlagSpec, raw: string): string | number | boolean | string[] {
  switch (spec.kind) {
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0)
        throw new Error(`--${spec.name} must be a non-negative number, got "${raw}"`);
      return n;
    }
    case 'duration':
      return parseDuration(raw);
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new Error(`--${spec.name} must be true or false, got "${raw}"`);
    case 'list':
      return raw === ''
        ? []
        : raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    default:
      return raw;
  }
}

/** Parses `argv` (after the command) with the environment as fallback, then defaults. */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv): FlagValues {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let spec = FLAGS.find((f) => f.name === name);
    if (spec === undefined && name.startsWith('no-')) {
      spec = FLAGS.find((f) => f.name === name.slice(3) && f.kind === 'boolean');
      if (spec !== undefined) {
        name = spec.name;
        value = 'false';
      }
    }
    if (spec === undefined) throw new Error(`unknown flag --${name} (see --help)`);
    if (value === undefined) {
      if (spec.kind === 'boolean') value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new Error(`--${name} needs a value`);
      }
    }
    // Lists may be given several times: --jwt-key a --jwt-key b.
    const prev = given.get(name);
    given.set(name, spec.kind === 'list' && prev !== undefined ? `${prev},${value}` : value);
  }
  const out: FlagValues = {};
  for (const spec of FLAGS) {
    const raw = given.get(spec.name) ?? env[envName(spec.name)] ?? spec.default;
    out[spec.name] = raw === undefined ? undefined : convert(spec, raw);
  }
  return out;
}
