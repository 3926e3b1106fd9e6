/**
 * redactPassword: the one function that keeps a connection URL's password out of logs and errors
 * (the CLI's startup line, the Redis engine's connection error). Each vector is checked against the
 * WHATWG URL parser, an independent reading of where the userinfo ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactPassword } from '@tidings/hub';

const REDACTED: [string, string][] = [
  ['redis://user:secret@host:6379/0', 'redis://user:***@host:6379/0'],
  ['redis://:secret@127.0.0.1:6380', 'redis://:***@127.0.0.1:6380'],
  ['rediss://u:p%40ss@h', 'rediss://u:***@h'],
  ['redis://u:p@ss@h/db?x=1', 'redis://u:***@h/db?x=1'],
  ['redis://u:a:b@h', 'redis://u:***@h'],
];
const UNCHANGED = [
  'memory',
  'lmdb',
  'redis://host:6379',
  'redis://user@host',
  'redis://host/path:not@userinfo',
  'redis://host?q=a:b@c',
];

test('passwords are replaced, the rest of the URL kept', () => {
  for (const [input, expected] of REDACTED) {
    const out = redactPassword(input);
    assert.equal(out, expected, input);
    assert.equal(new URL(out).password, '***', `${input}: the parser finds only *** as password`);
    assert.equal(new URL(out).host, new URL(input).host, `${input}: host kept`);
  }
});

test('strings without a password come back unchanged', () => {
  for (const input of UNCHANGED) {
    assert.equal(redactPassword(input), input, input);
    if (input.includes('://')) assert.equal(new URL(input).password, '', `${input}: really has no password`);
  }
});
