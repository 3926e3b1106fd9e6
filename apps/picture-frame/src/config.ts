import { parseArgs } from 'node:util';
import { DEFAULT_MAX_KEYWORD_LENGTH } from './keyword.js';
import { PROVIDER_NAMES, type ProviderConfig, type ProviderName } from './providers/create-provider.js';
import { DEFAULT_SEARCH_BURST, DEFAULT_SEARCHES_PER_MINUTE } from './rate-limiter.js';

export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = '.tidings-data/picture-frame';

export interface FrameConfig extends ProviderConfig {
  readonly port: number;
  readonly host?: string | undefined;
  /** Where the hub keeps its durable history (so a restart keeps the current picture). */
  readonly dataDir: string;
  readonly searchBurst: number;
  readonly searchesPerMinute: number;
  readonly maxKeywordLength: number;
  /** Serve HTTPS (HTTP/2 and HTTP/1.1) with a development certificate kept in `dataDir`. */
  readonly tlsSelfSigned: boolean;
  /** Serve HTTPS with this PEM certificate chain and key (both or neither). */
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
}

const HELP = `Usage: npm start -- [--port N] [--host ADDR] [--data-dir DIR] [--tls-self-signed | --tls-cert FILE --tls-key FILE]

  --tls-self-signed          HTTPS (HTTP/2 and HTTP/1.1) with a certificate for localhost, made once and
                             kept in the data folder (the log says how to trust it)
  --tls-cert, --tls-key      HTTPS with your own PEM certificate chain and key

Environment:
  PORT                       port to listen on (default ${DEFAULT_PORT}; --port wins)
  HOST                       address to bind (default: all)
  TIDINGS_DATA_DIR           hub history folder (default ${DEFAULT_DATA_DIR})
  PICTURE_PROVIDER           catalogue (default, offline) | folder | flickr | openverse
  PICTURE_FOLDER             the folder of your own images (provider folder)
  FLICKR_API_KEY             Flickr API key (provider flickr)
  FLICKR_LICENSES            Flickr licence ids to search (default 1-10: CC and public domain)
  OPENVERSE_TOKEN            optional Openverse bearer token
  PICTURE_SEARCH_BURST       searches a client may make at once (default ${DEFAULT_SEARCH_BURST})
  PICTURE_SEARCHES_PER_MINUTE  sustained searches per client (default ${DEFAULT_SEARCHES_PER_MINUTE})
  PICTURE_MAX_KEYWORD_LENGTH longest search term (default ${DEFAULT_MAX_KEYWORD_LENGTH})
`;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]+$/.test(value)) throw new ConfigError(`${name} must be a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return n;
}

/** Reads the command line and the environment. Returns 'help' for --help. */
export function parseConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): FrameConfig | 'help' {
  let values: {
    port?: string | undefined;
    host?: string | undefined;
    'data-dir'?: string | undefined;
    'tls-self-signed'?: boolean | undefined;
    'tls-cert'?: string | undefined;
    'tls-key'?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        'tls-self-signed': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) return 'help';
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together');
  }
  if (values['tls-cert'] !== undefined && values['tls-self-signed'] === true) {
    throw new ConfigError('--tls-self-signed and --tls-cert exclude each other');
  }
  const provider = (env['PICTURE_PROVIDER'] || 'catalogue').toLowerCase();
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new ConfigError(`PICTURE_PROVIDER must be one of ${PROVIDER_NAMES.join(', ')}, not "${provider}"`);
  }
  return {
    port: int(
      values.port !== undefined ? '--port' : 'PORT',
      values.port ?? env['PORT'],
      DEFAULT_PORT,
      0,
      65535,
    ),
    host: values.host ?? (env['HOST'] || undefined),
    dataDir: values['data-dir'] ?? (env['TIDINGS_DATA_DIR'] || DEFAULT_DATA_DIR),
    tlsSelfSigned: values['tls-self-signed'] === true,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    provider: provider as ProviderName,
    flickrApiKey: env['FLICKR_API_KEY'] || undefined,
    flickrApiUrl: env['FLICKR_API_URL'] || undefined,
    flickrLicenses: env['FLICKR_LICENSES'] || undefined,
    openverseApiUrl: env['OPENVERSE_API_URL'] || undefined,
    openverseToken: env['OPENVERSE_TOKEN'] || undefined,
    folder: env['PICTURE_FOLDER'] || undefined,
    searchBurst: int('PICTURE_SEARCH_BURST', env['PICTURE_SEARCH_BURST'], DEFAULT_SEARCH_BURST, 1, 1_000_000),
    searchesPerMinute: int(
      'PICTURE_SEARCHES_PER_MINUTE',
      env['PICTURE_SEARCHES_PER_MINUTE'],
      DEFAULT_SEARCHES_PER_MINUTE,
      1,
      1_000_000,
    ),
    maxKeywordLength: int(
      'PICTURE_MAX_KEYWORD_LENGTH',
      env['PICTURE_MAX_KEYWORD_LENGTH'],
      DEFAULT_MAX_KEYWORD_LENGTH,
      1,
      500,
    ),
  };
}

export { HELP };
