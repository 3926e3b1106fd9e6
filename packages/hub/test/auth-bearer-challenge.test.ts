import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerChallenge } from '../src/auth/bearer-challenge.js';
import { invalidToken } from '../src/auth/invalid-token.js';

describe('bearerChallenge (RFC 6750 section 3)', () => {
  it('no token presented: realm only, no error code', () => {
    assert.equal(bearerChallenge(), 'Bearer realm="mercure"');
  });

  it('no error code means no description either', () => {
    assert.equal(bearerChallenge(undefined, 'ignored'), 'Bearer realm="mercure"');
  });

  it('invalid_token with a description', () => {
    assert.equal(
      bearerChallenge('invalid_token', 'token expired'),
      'Bearer realm="mercure", error="invalid_token", error_description="token expired"',
    );
  });

  it('insufficient_scope and invalid_request, custom realm', () => {
    assert.equal(
      bearerChallenge('insufficient_scope', undefined, 'tidings'),
      'Bearer realm="tidings", error="insufficient_scope"',
    );
    assert.equal(bearerChallenge('invalid_request', '', 'x'), 'Bearer realm="x", error="invalid_request"');
  });

  it('error_description keeps only the characters RFC 6750 allows', () => {
    const value = bearerChallenge('invalid_token', 'bad "quote" \\ back\nline é');
    assert.equal(
      value,
      'Bearer realm="mercure", error="invalid_token", error_description="bad quote back line"',
    );
  });

  it('realm is a quoted-string: quotes and backslashes escaped, controls dropped', () => {
    assert.equal(bearerChallenge(undefined, undefined, 'a"b\\c\r\nd'), 'Bearer realm="a\\"b\\\\cd"');
  });

  it('resource_metadata (RFC 9728) when given', () => {
    assert.equal(
      bearerChallenge(
        undefined,
        undefined,
        'mercure',
        'https://hub.example/.well-known/oauth-protected-resource',
      ),
      'Bearer realm="mercure", resource_metadata="https://hub.example/.well-known/oauth-protected-resource"',
    );
  });

  it('is usable as a Node header value', async () => {
    const { validateHeaderValue } = await import('node:http');
    assert.doesNotThrow(() =>
      validateHeaderValue('WWW-Authenticate', bearerChallenge('invalid_token', 'ü\u0000"')),
    );
  });

  it('invalid_token errors carry their challenge', () => {
    const err = invalidToken('token expired');
    assert.equal(err.code, 'invalid_token');
    assert.equal(err.status, 401);
    assert.equal(
      err.headers['WWW-Authenticate'],
      'Bearer realm="mercure", error="invalid_token", error_description="token expired"',
    );
  });
});
