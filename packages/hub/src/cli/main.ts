#!/usr/bin/env node
import { pino } from 'pino';
import { helpText, parseFlags } from './flags.js';
import { serve } from './serve.js';

/** `tidings serve [flags]`: runs the hub until SIGTERM/SIGINT, then shuts down gracefully. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    rest.includes('--help')
  ) {
    process.stdout.write(helpText());
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`tidings: unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(rest, process.env);
  } catch (err) {
    process.stderr.write(`tidings: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = pino({ level: String(flags['log-level']) });
  const hub = await serve(flags, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: ending streams so clients reconnect elsewhere');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
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
