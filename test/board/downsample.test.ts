// Downsampling keeps the first and last point, every bucket's min and max (so the global extremes),
// NaNs as gaps, and never more than `max` points.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsample, downsampleIndices, jsonValue } from '../../src/board/downsample.js';

function noisy(n: number, seed = 1): number[] {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => Math.exp(-i / n) + 0.1 * rand());
}

test('a short curve is kept whole', () => {
  assert.deepEqual(downsample([1, 2, 3], [3, 2, 1], 10), { steps: [1, 2, 3], values: [3, 2, 1] });
});

test('at most max points, with the first, the last, the min and the max', () => {
  for (const n of [11, 1000, 10_000, 12_345]) {
    for (const max of [8, 10, 101, 1000]) {
      const values = noisy(n, n + max);
      values[Math.floor(n / 3)] = 50; // a spike
      values[Math.floor(n / 2) + 1] = -7; // a dip
      const steps = values.map((_, i) => i * 10);
      const c = downsample(steps, values, max);
      assert.ok(c.steps.length <= Math.max(max, 0) || n <= max, `${n} → ${c.steps.length} > ${max}`);
      assert.equal(c.steps[0], 0);
      assert.equal(c.steps.at(-1), (n - 1) * 10);
      assert.ok(c.values.includes(50) && c.values.includes(-7), `n=${n} max=${max} lost an extreme`);
      for (let i = 1; i < c.steps.length; i++) assert.ok(c.steps[i]! > c.steps[i - 1]!, 'steps stay in order');
    }
  }
});

test('NaNs survive as gaps, and as null in JSON', () => {
  const values = noisy(5000);
  values[1234] = Number.NaN;
  values[4000] = Number.NaN;
  const idx = downsampleIndices(values, 300);
  assert.ok(idx.length <= 300);
  assert.ok(idx.includes(1234) && idx.includes(4000));
  assert.equal(JSON.stringify(downsample([0, 1], [Number.NaN, 1], 10).values.map(jsonValue)), '[null,1]');
  assert.deepEqual([Infinity, -Infinity, 2].map(jsonValue), ['Infinity', '-Infinity', 2]);
});

test('max below 2 is refused', () => {
  assert.throws(() => downsampleIndices([1, 2, 3], 1), /max must be an integer >= 2/);
});
