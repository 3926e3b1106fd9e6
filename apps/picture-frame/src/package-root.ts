import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Picture Frame's package folder (where public/ and catalogue/ live), found by walking up
 * from this module to its package.json: the same answer from src/ (tsx) and dist/src/ (tsc).
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@tidings/picture-frame')
          return dir;
      } catch {
        // not ours: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the @tidings/picture-frame package folder');
    dir = up;
  }
}
