/**
 * `npm start`: the Tidings hub with the Shared Picture Frame, on one port.
 *   node apps/picture-frame/dist/src/main.js [--port 3000] [--host 127.0.0.1] [--data-dir DIR]
 */

import {
  createLogger,
  readTlsFiles,
  type SelfSigned,
  selfSignedCredentials,
  trustAdvice,
} from '@tidings/hub';
import { startPictureFrame } from './app.js';
import { ConfigError, HELP, parseConfig } from './config.js';
import { packageRoot } from './package-root.js';
import { createProvider } from './providers/create-provider.js';

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env);
  if (config === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const provider = createProvider(config, packageRoot());
  // A development certificate lives beside the history, so a browser's exception survives restarts.
  const selfSigned: SelfSigned | undefined = config.tlsSelfSigned
    ? await selfSignedCredentials(config.dataDir)
    : undefined;
  const tls =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? readTlsFiles(config.tlsCert, config.tlsKey)
      : selfSigned;
  const running = await startPictureFrame({
    port: config.port,
    host: config.host,
    dataDir: config.dataDir,
    provider,
    searchBurst: config.searchBurst,
    searchesPerMinute: config.searchesPerMinute,
    maxKeywordLength: config.maxKeywordLength,
    tls,
    // Human lines with local times on a terminal, JSON lines when stderr is a file or a pipe.
    log: createLogger('info', 'auto', process.stderr),
  });
  const history = running.durable ? `history in ${config.dataDir}` : 'history in memory';
  process.stdout.write(
    `Shared Picture Frame on ${running.url}  (pictures: ${provider.name}; ${history})\n` +
      `Open it in two tabs and search "pumpkin" in one. Ctrl-C stops.\n` +
      (selfSigned === undefined ? '' : `${trustAdvice(selfSigned, running.url)}\n`),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The port that was asked for (the config parsed before, so it is valid). */
function parseConfigPort(): number {
  const config = parseConfig(process.argv.slice(2), process.env);
  return config === 'help' ? 3000 : config.port;
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    const port = parseConfigPort();
    process.stderr.write(
      `Port ${port} is already in use (another program, or the frame running already).\n` +
        `Start on another port:  npm start -- --port ${port + 1}\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`Cannot start the Picture Frame: ${e.message ?? String(err)}\n`);
  process.exit(1);
});
