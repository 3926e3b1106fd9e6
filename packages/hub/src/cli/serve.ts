import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { HUB_PATH } from '../defaults.js';
import { createEngine } from '../engine/create-engine.js';
import { redactPassword } from '../http/redact-url.js';
import { createHub, type Hub } from '../hub.js';
import type { Limits } from '../limits.js';
import type { PushOptions, Urgency } from '../push/push-options.js';
import { readTlsFiles } from '../transports/http2/tls-files.js';
import type { FlagValues } from './flag-spec.js';
import { FLAGS } from './flags.js';
import { tlsFromFlags } from './tls-flags.js';

const num = (v: FlagValues[string]) => v as number;

const list = (v: FlagValues[string]) => (v as string[] | undefined) ?? [];

/** Starts a hub from parsed flags; resolves once it listens. */
export async function serve(
  flags: FlagValues,
  logger: Logger = pino({ level: String(flags['log-level']) }),
): Promise<Hub> {
  const sharedKeys = list(flags['jwt-key']);
  const publisherKeys =
    list(flags['publisher-jwt-key']).length > 0 ? list(flags['publisher-jwt-key']) : sharedKeys;
  const subscriberKeys =
    list(flags['subscriber-jwt-key']).length > 0 ? list(flags['subscriber-jwt-key']) : sharedKeys;
  const host = String(flags.host);
  const port = num(flags.port);
  const transport = String(flags.transport);
  const engine = await createEngine({
    transport,
    dataDir: String(flags['data-dir']),
    historySize: num(flags['history-size']),
    historyMaxAgeMs: num(flags['history-max-age']),
    logger,
  });
  const tls = await tlsFromFlags(flags);
  const scheme = tls === undefined ? 'http' : 'https';
  const hubUrl =
    (flags['hub-url'] as string | undefined) ??
    `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${HUB_PATH}`;
  const corsOrigins = list(flags['cors-origins']);
  // An HMAC secret given on the command line (not a PEM or a file) signs the debug page's
  // development tokens; it must be the key of both roles for them to work everywhere.
  const devTokenKey =
    sharedKeys.length === 1 &&
    publisherKeys === sharedKeys &&
    subscriberKeys === sharedKeys &&
    !sharedKeys[0]!.startsWith('-----') &&
    !existsSync(sharedKeys[0]!)
      ? sharedKeys[0]!
      : undefined;
  const hub = await createHub({
    engine,
    hubUrl,
    publisherKeys,
    subscriberKeys,
    jwtAlgorithms: list(flags['jwt-alg']),
    ...(flags['jwt-issuer'] !== undefined && { jwtIssuer: String(flags['jwt-issuer']) }),
    ...(flags['jwt-audience'] !== undefined && { jwtAudience: String(flags['jwt-audience']) }),
    tokenCacheSize: num(flags['token-cache-size']),
    ...(list(flags['conflate-topics']).length > 0 && {
      conflate: { topics: list(flags['conflate-topics']), maxRate: num(flags['conflate-rate']) },
    }),
    anonymous: flags.anonymous === true || subscriberKeys.length === 0,
    ...(flags['debug-ui'] !== undefined && { debugUi: flags['debug-ui'] === true }),
    ...(devTokenKey !== undefined && { devTokenKey }),
    corsOrigins,
    publishOrigins: flags['publish-origins'] === undefined ? corsOrigins : list(flags['publish-origins']),
    heartbeatMs: num(flags.heartbeat),
    retryMs: num(flags.retry),
    subscriptions: flags.subscriptions === true,
    trustProxy: flags['trust-proxy'] === true,
    ...(tls !== undefined && { tls: tls.credentials }),
    ...(flags.push === true && { push: pushOptions(flags) }),
    logger,
    limits: limitsFromFlags(flags),
  });
  // Say plainly what is insecure about this configuration.
  if (publisherKeys.length === 0) {
    logger.warn(
      'INSECURE: no publisher key (--jwt-key or --publisher-jwt-key): anyone who can reach this port can publish',
    );
  }
  if (subscriberKeys.length === 0) {
    logger.warn(
      'no subscriber key: every subscriber is anonymous and private updates are delivered to nobody',
    );
  }
  if (publisherKeys.length === 0 && !/^(127\.|::1$|localhost$)/.test(host)) {
    logger.warn(
      `INSECURE: listening on ${host} without a publisher key: do not expose this to untrusted networks`,
    );
  }
  if (publisherKeys.length + subscriberKeys.length > 0) {
    if (hub.issuer === undefined) {
      logger.warn('no --jwt-issuer: at+jwt (current Mercure) tokens are refused; 0.x tokens are accepted');
    } else if (flags['jwt-issuer'] === undefined) {
      logger.info(
        `at+jwt tokens: trusted issuer ${hub.issuer} (the development default; set --jwt-issuer), audience ${hub.resource}`,
      );
    }
  }
  if (corsOrigins.includes('*')) logger.warn('CORS allows any origin (without credentials)');
  let address: Awaited<ReturnType<Hub['listen']>>;
  try {
    address = await hub.listen(port, host);
  } catch (err) {
    await hub.close().catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(
        `port ${port} on ${host} is already in use: choose another with --port <n> (or TIDINGS_PORT)`,
      );
    }
    if (code === 'EACCES')
      throw new Error(`no permission to listen on port ${port}: use --port 1024 or above`);
    throw err;
  }
  const url = `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${HUB_PATH}`;
  // The start banner: where the hub is, where history lives, and how it is secured.
  logger.info(
    {
      banner: true,
      url,
      store: storeText(transport, flags),
      security: securityText(publisherKeys.length > 0, subscriberKeys.length > 0, flags.anonymous === true),
      debug:
        hub.debugUiPath === undefined
          ? 'off (--debug-ui turns the page on)'
          : `${url.slice(0, -HUB_PATH.length)}${hub.debugUiPath}`,
      port: address.port,
      transport: redactPassword(transport),
    },
    `tidings hub listening on ${url}${tls === undefined ? '' : ' (HTTP/2 and HTTP/1.1 over TLS)'}`,
  );
  if (tls?.advice !== undefined) logger.info(tls.advice(`${scheme}://localhost:${address.port}/`));
  return hub;
}

/**
 * SIGHUP: reads `--tls-cert` and `--tls-key` again and gives new connections the new pair;
 * connections and streams already open keep theirs. A pair that does not load is logged and
 * the old one kept.
 */
export function reloadTls(hub: Hub, flags: FlagValues, logger: Logger): void {
  const cert = flags['tls-cert'] as string | undefined;
  const key = flags['tls-key'] as string | undefined;
  if (cert === undefined || key === undefined || !hub.tls) return;
  try {
    hub.setTlsCredentials(readTlsFiles(cert, key));
    logger.info({ cert }, 'TLS certificate reloaded: new connections use it');
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'TLS certificate not reloaded: the previous one stays');
  }
}

/** `--push` and its flags; without VAPID keys, development keys live in the data directory. */
function pushOptions(flags: FlagValues): PushOptions {
  const publicKey = flags['vapid-public-key'] as string | undefined;
  const privateKey = flags['vapid-private-key'] as string | undefined;
  if ((publicKey === undefined) !== (privateKey === undefined)) {
    throw new Error('give both --vapid-public-key and --vapid-private-key, or neither');
  }
  return {
    ...(publicKey !== undefined && privateKey !== undefined
      ? { vapid: { publicKey, privateKey } }
      : { vapidFile: join(String(flags['data-dir']), 'vapid.json') }),
    ...(flags['vapid-subject'] !== undefined && { subject: String(flags['vapid-subject']) }),
    ttlSeconds: Math.round(num(flags['push-ttl']) / 1000),
    urgency: String(flags['push-urgency']) as Urgency,
  };
}

function storeText(transport: string, flags: FlagValues): string {
  const history = `history of ${num(flags['history-size'])} updates`;
  if (transport === '' || transport === 'lmdb' || transport === 'embedded') {
    return `embedded (LMDB) in ${resolve(String(flags['data-dir']))}, ${history}`;
  }
  if (transport === 'memory') return `memory, ${history}, lost at exit`;
  return `${redactPassword(transport)}, ${history}`;
}

function securityText(publisherKey: boolean, subscriberKey: boolean, anonymous: boolean): string {
  if (!publisherKey && !subscriberKey) {
    return 'development: no key, anyone can publish, private updates reach nobody';
  }
  const pub = publisherKey ? 'publishing needs a token' : 'anyone can publish (no publisher key)';
  const sub = !subscriberKey
    ? 'subscribers are anonymous'
    : anonymous
      ? 'anonymous subscribers get public updates'
      : 'subscribing needs a token';
  return `${publisherKey ? 'production' : 'INSECURE'}: ${pub}, ${sub}`;
}

/** The limits set by flags (FlagSpec.limit), a few held in their range. */
function limitsFromFlags(flags: FlagValues): Partial<Limits> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const spec of FLAGS) if (spec.limit !== undefined) limits[spec.limit] = num(flags[spec.name]);
  limits.lifetimeJitter = Math.min(1, num(flags['lifetime-jitter']));
  limits.pushConcurrency = Math.max(1, num(flags['push-concurrency']));
  limits.maxPushAttempts = Math.max(1, num(flags['max-push-attempts']));
  return limits;
}
