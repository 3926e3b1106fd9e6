import { DEV_ISSUER } from '../auth/auth-options.js';
import { PUSH_FLAGS } from './push-flags.js';
/**
 * The flags of `tidings serve`. Each flag is also read from the environment as
 * TIDINGS_<NAME> (upper case, dashes as underscores): `--history-size` is TIDINGS_HISTORY_SIZE.
 * A flag on the command line wins over the environment.
 */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'number' | 'duration' | 'boolean' | 'list';
  readonly default?: string;
  readonly help: string;
}

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
    help: 'public URL of the hub (default http://<host>:<port>/.well-known/mercure)',
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
    default: '1024',
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
  { name: 'history-size', kind: 'number', default: '10000', help: 'updates kept in history' },
  {
    name: 'history-max-age',
    kind: 'duration',
    default: '0',
    help: 'drop history older than this (0 = keep by count only)',
  },
  {
    name: 'heartbeat',
    kind: 'duration',
    default: '15s',
    help: 'comment sent after this much silence on a stream (0 = off)',
  },
  {
    name: 'retry',
    kind: 'duration',
    default: '2s',
    help: 'reconnection delay sent to clients (plus up to 50% jitter)',
  },
  {
    name: 'subscriptions',
    kind: 'boolean',
    default: 'true',
    help: 'Active Subscriptions: subscription events and listing',
  },
  { name: 'max-body', kind: 'number', default: '4194304', help: 'largest publish body in bytes (413)' },
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
  {
    name: 'max-batch-updates',
    kind: 'number',
    default: '1000',
    help: 'updates in one batch publish (400)',
  },
  { name: 'max-topics', kind: 'number', default: '32', help: 'topics per publish (413)' },
  { name: 'max-selectors', kind: 'number', default: '32', help: 'selectors per subscription (400)' },
  {
    name: 'max-selector-program-size',
    kind: 'number',
    default: '16384',
    help: 'RE2 instructions one URL pattern or URI template may compile to (400)',
  },
  {
    name: 'max-selector-variable-parts',
    kind: 'number',
    default: '32',
    help: 'groups, wildcards or variables in one URL pattern or URI template (400)',
  },
  {
    name: 'publish-rate',
    kind: 'number',
    default: '100',
    help: 'publishes per second per client, 0 = unlimited (429)',
  },
  { name: 'publish-burst', kind: 'number', default: '200', help: 'publish burst per client' },
  {
    name: 'publish-token-rate',
    kind: 'number',
    default: '0',
    help: 'publishes per second per client with a token in the Authorization header, 0 = unlimited (429)',
  },
  { name: 'max-subscribers', kind: 'number', default: '50000', help: 'open streams in total (503)' },
  {
    name: 'max-patterns',
    kind: 'number',
    default: '256',
    help: 'distinct URL patterns and URI templates subscribed to at once (503)',
  },
  {
    name: 'max-subscribers-per-client',
    kind: 'number',
    default: '1000',
    help: 'open streams per client address (429)',
  },
  {
    name: 'max-concurrent-replays',
    kind: 'number',
    default: '32',
    help: 'resumes replaying history at once; the others wait their turn in order',
  },
  {
    name: 'max-queued-replays',
    kind: 'number',
    default: '10000',
    help: 'resumes waiting for a replay slot (503 past it)',
  },
  {
    name: 'max-queue-bytes',
    kind: 'number',
    default: '4194304',
    help: 'per-subscriber queue in bytes before it is dropped',
  },
  {
    name: 'max-queue-events',
    kind: 'number',
    default: '10000',
    help: 'per-subscriber queue in events before it is dropped',
  },
  {
    name: 'write-timeout',
    kind: 'duration',
    default: '30s',
    help: 'drop a subscriber whose socket does not drain for this long',
  },
  {
    name: 'max-lifetime',
    kind: 'duration',
    default: '0',
    help: 'end streams after this long, minus up to --lifetime-jitter of it at random (0 = never)',
  },
  {
    name: 'lifetime-jitter',
    kind: 'number',
    default: '0.1',
    help: 'fraction of --max-lifetime taken off at random per stream, so streams opened together do not end together',
  },
  ...PUSH_FLAGS,
  {
    name: 'h2-max-concurrent-streams',
    kind: 'number',
    default: '100',
    help: 'streams open at once on one HTTP/2 connection (raise it behind a proxy that multiplexes clients over h2c)',
  },
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
    help: 'the debug page at /.well-known/mercure/ui/ (default: on without keys, off with them)',
  },
  {
    name: 'log-format',
    kind: 'string',
    default: 'auto',
    help: 'auto (human lines on a terminal, JSON lines otherwise), json or pretty',
  },
];

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export function envName(flag: string): string {
  return `TIDINGS_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** "15s", "500ms", "2m", "1h", or a plain number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`not a duration: "${text}" (use e.g. 500ms, 15s, 2m, 1h)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

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

export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const value = f.kind === 'boolean' ? '' : ` <${f.kind === 'list' ? 'a,b' : f.kind}>`;
    const def = f.default !== undefined && f.default !== '' ? ` (default: ${f.default})` : '';
    return `  --${f.name}${value}\n      ${f.help}${def}  [env ${envName(f.name)}]`;
  });
  return [
    'Usage: tidings serve [flags]',
    '',
    'Runs a Mercure-compatible Server-Sent Events hub.',
    'Every flag can also be set as an environment variable TIDINGS_<NAME>; boolean flags take --no-<name>.',
    '',
    'Flags:',
    ...rows,
    '  --help',
    '      print this help',
    '',
    'Examples:',
    '  tidings serve                                   development: no key, history in ./.tidings-data',
    '  tidings serve --port 3001 --transport memory    another port, history in memory',
    '  tidings serve --jwt-key "$SECRET" --cors-origins https://app.example.com',
    '                                                  production: tokens signed with an HMAC secret',
    '  TIDINGS_TRANSPORT=redis://127.0.0.1:6380/0 tidings serve --port 3002',
    '                                                  one node of a cluster sharing a Redis server',
    '  curl -d topic=https://example.com/books/1 -d data=hello http://localhost:3000/.well-known/mercure',
    '                                                  publish (development mode)',
    '',
  ].join('\n');
}

/** What a bare `tidings` (or an unknown command) says: the commands there are. */
export function commandsText(): string {
  return [
    'Usage: tidings <command> [flags]',
    '',
    'Commands:',
    '  serve    run the hub (tidings serve --help lists every flag)',
    '  help     print the help of serve',
    '',
    'Example: tidings serve --port 3000',
    '',
  ].join('\n');
}
