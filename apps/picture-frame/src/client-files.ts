import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Mount } from './static-files.js';

/** Where the page imports the browser client from: `/tidings-client/index.js`. */
export const CLIENT_URL_PREFIX = '/tidings-client/';

/**
 * The `@tidings/client` build (`packages/client/dist`, made by `tsc -b`: plain ES modules with
 * relative imports only, so the page imports them as they are), served to the page.
 */
export function clientMount(): Mount {
  const pkg = createRequire(import.meta.url).resolve('@tidings/client/package.json');
  return {
    urlPrefix: CLIENT_URL_PREFIX,
    dir: join(dirname(pkg), 'dist'),
    cacheControl: 'no-cache',
    extensions: new Set(['.js']),
  };
}
