import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BUDGET_BYTES, bundleSize } from '../scripts/bundle-size.js';

it('the client, minified and gzipped, stays under its 5 KB budget', async () => {
  const { minified, gzipped } = await bundleSize();
  assert.ok(minified > 1000, `the bundle has the client in it (${minified} bytes minified)`);
  assert.ok(gzipped < BUDGET_BYTES, `${gzipped} bytes gzipped, budget ${BUDGET_BYTES}`);
});
