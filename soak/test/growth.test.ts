/** The soak's growth check (soak/growth.ts): it must be able to say "grew", and say nothing on no evidence. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { growth } from '../growth.js';

describe('soak growth check', () => {
  const tol = { warmup: 0, relative: 0.1, absolute: 0 };
  const at = (vs: number[]) => vs.map((v, i) => ({ t: i * 1000, v }));
  test('flat samples did not grow; a rising second half did', () => {
    assert.equal(growth(at([100, 101, 99, 100, 100, 101]), tol).grew, false, 'flat is no growth');
    assert.equal(growth(at([100, 100, 100, 150, 160, 170]), tol).grew, true, 'a rising second half grew');
  });
  test('fewer than two samples are no evidence of "no growth"', () => {
    for (const vs of [[], [100]]) {
      const g = growth(at(vs), tol);
      assert.equal(g.samples, vs.length, 'the samples judged are counted');
      assert.equal(g.grew, true, `${vs.length} sample(s) cannot show the level held`);
    }
  });
});
