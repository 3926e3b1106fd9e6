import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkVapidKeys, generateVapidKeys } from '../src/push/vapid-keys.js';

describe('VAPID keys', () => {
  it('every generated pair is well formed, including private keys with leading zero bytes', () => {
    // One scalar in 256 starts with a zero byte; 4,000 pairs miss none with odds of 1 in 6 million.
    let padded = 0;
    for (let i = 0; i < 4000; i++) {
      const keys = generateVapidKeys();
      assert.doesNotThrow(() => checkVapidKeys(keys), `pair ${i}: ${keys.privateKey}`);
      if (Buffer.from(keys.privateKey, 'base64url')[0] === 0) padded++;
    }
    assert.ok(padded > 0, 'some private keys started with a zero byte');
  });
});
