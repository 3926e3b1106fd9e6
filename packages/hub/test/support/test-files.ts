import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The repository root, from this package's test folder. */
export const REPO = join(import.meta.dirname, '..', '..', '..', '..');
/** Folders that hold no sources of ours: dependencies and build output anywhere, and (as .gitignore says) run data. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);
const SKIPPED_PATHS = new Set(['bench/results', 'data', 'tmp']);

/**
 * Repo-relative paths (with `/`) of every `*.test.ts` and every .ts file under a `test` folder or
 * the `test-support` package: what the guard tests read, found by walking the repo so that a new
 * test folder is covered without a list.
 */
export function testFiles(dir = REPO, inTest = false): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
      if (SKIPPED_PATHS.has(relative(REPO, path).split(sep).join('/'))) continue;
      files.push(...testFiles(path, inTest || entry.name === 'test' || entry.name === 'test-support'));
    } else if (entry.isFile() && /\.[cm]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      if (inTest || /\.test\.[cm]?ts$/.test(entry.name))
        files.push(relative(REPO, path).split(sep).join('/'));
    }
  }
  return files.sort();
}
