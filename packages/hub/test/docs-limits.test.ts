import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { it } from 'node:test';
import { DEFAULT_LIMITS } from '@tidings/hub';
import { FLAGS } from '../src/cli/flags.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/limits.md'), 'utf8');

it('docs/limits.md names every limit and every limit flag it mentions exists', () => {
  for (const name of Object.keys(DEFAULT_LIMITS))
    assert.ok(doc.includes(`\`${name}\``), `${name} missing from docs/limits.md`);
  for (const [, flag] of doc.matchAll(/`--([a-z-]+)`/g)) {
    assert.ok(
      FLAGS.some((f) => f.name === flag),
      `docs/limits.md names --${flag}, which does not exist`,
    );
  }
});
