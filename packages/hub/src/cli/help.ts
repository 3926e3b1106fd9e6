import { envName } from './flag-spec.js';
import { FLAGS } from './flags.js';

/** `tidings serve --help`: every flag with its default and environment variable. */
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
