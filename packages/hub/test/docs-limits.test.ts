import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { it } from 'node:test';
import { DEFAULT_LIMITS } from '@tidings/hub';
import { FLAGS, parseDuration, parseFlags } from '../src/cli/flags.js';
import { CLI_HISTORY_SIZE, DEFAULT_HEARTBEAT_MS, DEFAULT_HISTORY_SIZE } from '../src/defaults.js';

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

/** A default as docs/limits.md writes it: `4 MiB`, `10,000`, `30 s`, `0.1`, `16 KiB per ...`. */
function documentedValue(cell: string): number | undefined {
  const m = /^([\d,]+(?:\.\d+)?)\s*(MiB|KiB|s\b|ms\b)?/.exec(cell.trim());
  if (m === null) return undefined;
  const n = Number(m[1]!.replaceAll(',', ''));
  const scale = { MiB: 1024 * 1024, KiB: 1024, s: 1000, ms: 1 }[m[2] as 'MiB'] ?? 1;
  return n * scale;
}

/** The rows of the limits table: name, default cell, flag cell. */
const rows = doc
  .split('\n')
  .filter((line) => /^\| `\w+` \|/.test(line))
  .map((line) => {
    const [, name, value, flag] = line.split('|').map((cell) => cell.trim());
    return { name: name!.replaceAll('`', ''), value: value!, flag: flag! };
  });

it('docs/limits.md states every limit default as DEFAULT_LIMITS has it, and the flag that sets it', () => {
  for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
    const row = rows.find((r) => r.name === name);
    assert.ok(row !== undefined, `${name} has no row in docs/limits.md`);
    assert.equal(documentedValue(row.value), value, `docs/limits.md: ${name} default "${row.value}"`);
    const flag = FLAGS.find((f) => f.limit === name);
    assert.equal(row.flag, flag === undefined ? '' : `\`--${flag.name}\``, `docs/limits.md: flag of ${name}`);
  }
});

it('every limit flag takes its default from DEFAULT_LIMITS and sets a limit that exists', () => {
  for (const flag of FLAGS.filter((f) => f.limit !== undefined)) {
    const value = DEFAULT_LIMITS[flag.limit!];
    assert.equal(
      flag.kind === 'duration' ? parseDuration(flag.default!) : Number(flag.default),
      value,
      flag.name,
    );
  }
  assert.deepEqual(parseFlags([], {})['history-size'], CLI_HISTORY_SIZE);
});

it('docs/limits.md states the history size and heartbeat defaults of defaults.ts', () => {
  const history = /^\| history size \| ([\d,]+) updates \(CLI\), ([\d,]+) \(library/m.exec(doc);
  assert.ok(history !== null, 'history size row');
  assert.equal(documentedValue(history[1]!), CLI_HISTORY_SIZE);
  assert.equal(documentedValue(history[2]!), DEFAULT_HISTORY_SIZE);
  const heartbeat = /^\| heartbeat \| ([^|]+) \|/m.exec(doc);
  assert.equal(documentedValue(heartbeat?.[1] ?? ''), DEFAULT_HEARTBEAT_MS);
});
