import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES, H2_GOAWAY_CODES } from '@tidings/hub';

const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');

/** Rows of the "Codes" table: `| \`code\` | status | meaning |`. */
function documented(): Map<string, { status: number; meaning: string }> {
  const section = doc.slice(doc.indexOf('## Codes'));
  const rows = new Map<string, { status: number; meaning: string }>();
  for (const [, code, status, meaning] of section.matchAll(/^\| `([a-z0-9_]+)` \| (\d{3}) \| (.*) \|$/gm)) {
    assert.ok(!rows.has(code!), `${code} documented twice`);
    rows.set(code!, { status: Number(status), meaning: meaning!.trim() });
  }
  return rows;
}

test('docs/errors.md documents every code of ERROR_CODES with its status and a meaning', () => {
  const rows = documented();
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    const row = rows.get(code);
    assert.ok(row !== undefined, `${code} is missing from docs/errors.md`);
    assert.equal(row.status, status, `${code}: docs/errors.md says ${row.status}, errors.ts says ${status}`);
    assert.ok(row.meaning.length > 20, `${code}: say what it means`);
  }
});

test('docs/errors.md names no code that does not exist', () => {
  for (const code of documented().keys())
    assert.ok(Object.hasOwn(ERROR_CODES, code), `${code} is not in ERROR_CODES`);
  // Codes named anywhere else on the page (headers table, prose) must exist too.
  const parameters = new Set([
    'access_token',
    'last_event_id',
    'match_urlpattern',
    'match_exact',
    'match_regex',
    'resource_metadata',
  ]);
  for (const [, name] of doc.matchAll(/`([a-z]+(?:_[a-z0-9]+)+)`/g)) {
    if (parameters.has(name!)) continue;
    assert.ok(
      Object.hasOwn(ERROR_CODES, name!) || Object.hasOwn(H2_GOAWAY_CODES, name!),
      `docs/errors.md mentions \`${name}\`, which is not a code`,
    );
  }
});

test('docs/errors.md lists every GOAWAY debug code of HTTP/2 connections', () => {
  const section = doc.slice(doc.indexOf('## HTTP/2 connection errors'));
  for (const code of Object.keys(H2_GOAWAY_CODES)) {
    assert.match(
      section,
      new RegExp(`^\\| \`${code}\` \\| \`h2[A-Za-z]+\` \\| .{20,} \\|$`, 'm'),
      `${code} is missing`,
    );
  }
});
