import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/**
 * Builds `@tidings/client` (tsc -b, incremental: quick when up to date): the page imports its
 * dist/, which `npm start` and `npm test` build, but a test file run on its own may not have.
 */
export function buildClient(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'packages/client'], { cwd: join(packageRoot(), '..', '..') });
}
