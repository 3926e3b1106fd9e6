import assert from 'node:assert/strict';
import { it } from 'node:test';
import { backoffDelay } from '@tidings/client';

it('backoff: the reconnection time first, then full jitter over an exponential bound, capped', () => {
  assert.equal(
    backoffDelay(1000, 0, 30_000, () => 0.99),
    1000,
    'first attempt: exactly the reconnection time',
  );
  assert.equal(
    backoffDelay(1000, 1, 30_000, () => 0),
    1000,
    'never shorter than the reconnection time',
  );
  assert.equal(
    backoffDelay(1000, 1, 30_000, () => 1),
    2000,
    'the bound doubles: 2 s after one failure',
  );
  assert.equal(
    backoffDelay(1000, 3, 30_000, () => 1),
    8000,
    '8 s after three',
  );
  assert.equal(
    backoffDelay(1000, 40, 30_000, () => 1),
    30_000,
    'capped',
  );
  assert.equal(
    backoffDelay(1000, 3, 30_000, () => 0.5),
    4500,
    'uniform between the two',
  );
  assert.equal(
    backoffDelay(60_000, 3, 30_000, () => 1),
    60_000,
    'a retry longer than the cap is honoured',
  );
});
