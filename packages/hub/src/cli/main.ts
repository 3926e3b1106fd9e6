#!/usr/bin/env node
import { parseFlags } from './flags.js';
import { commandsText, helpText } from './help.js';
import { createLogger, LOG_FORMATS, type LogFormat } from './log-format.js';
import { reloadTls, serve } from './serve.js';

/** `tidings serve [flags]`: runs the hub until SIGTERM/SIGINT, then shuts down gracefully. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(`tidings: a command is missing\n\n${commandsText()}`);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help')) {
    process.stdout.write(helpText());
    return 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`tidings: unknown command "${command}"\n\n${commandsText()}`);
    return 2;
  }
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(rest, process.env);
  } catch (err) {
    process.stderr.write(`tidings: ${(err as Error).message}\n`);
    return 2;
  }
  const format = String(flags['log-format']) as LogFormat;
  if (!LOG_FORMATS.includes(format)) {
    process.stderr.write(`tidings: --log-format must be one of ${LOG_FORMATS.join(', ')}, got "${format}"\n`);
    return 2;
  }
  const logger = createLogger(String(flags['log-level']), format);
  const hub = await serve(flags, logger);
  // A renewed certificate (certbot, cert-manager) is picked up without a restart.
  const onHangup = () => reloadTls(hub, flags, logger);
  if (flags['tls-cert'] !== undefined) process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: ending streams so clients reconnect elsewhere');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.off('SIGHUP', onHangup);
  await hub.close();
  logger.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tidings: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
