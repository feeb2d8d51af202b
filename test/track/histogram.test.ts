// Histogram bucketing: TF's exponential buckets and equal-width bins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogram } from '../../src/track/histogram.js';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('histogram: statistics and exponential buckets hold every value at the right edge', () => {
  const values = [-3, -0.5, 0, 0, 0.001, 1, 2, 2, 100];
  const h = histogram(values);
  assert.equal(h.min, -3);
  assert.equal(h.max, 100);
  assert.equal(h.num, values.length);
  assert.equal(h.sum, sum(values));
  assert.equal(h.sumSquares, sum(values.map((v) => v * v)));
  assert.equal(sum(h.bucket), values.length);
  assert.equal(h.bucket.length, h.bucketLimit.length);
  for (let i = 1; i < h.bucketLimit.length; i++) assert.ok(h.bucketLimit[i] > h.bucketLimit[i - 1], 'limits increase');
  // each value falls in [limit[i-1], limit[i]); count them back
  const counts = h.bucketLimit.map((hi, i) => values.filter((v) => v < hi && (i === 0 || v >= h.bucketLimit[i - 1])).length);
  assert.deepEqual(counts, h.bucket);
  // TF's limits: 0 is a limit, and the bucket ending just above 0 holds the zeros
  assert.equal(h.bucketLimit.includes(0), true);
  // runs of empty buckets are merged: no two empty buckets in a row, none at the ends
  for (let i = 1; i < h.bucket.length; i++) assert.ok(h.bucket[i] > 0 || h.bucket[i - 1] > 0);
  assert.ok(h.bucket[0] > 0 && h.bucket.at(-1)! > 0);
});

test('histogram: linear bins, a constant input, an empty input, non-finite values left out', () => {
  const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 10], 5);
  assert.deepEqual(h.bucketLimit, [2, 4, 6, 8, 10]);
  assert.deepEqual(h.bucket, [2, 2, 2, 2, 2]);
  const c = histogram([3, 3, 3], 4);
  assert.equal(sum(c.bucket), 3);
  assert.equal(c.bucket[0], 3);
  const e = histogram([]);
  assert.deepEqual([e.num, e.min, e.max, e.bucket.length], [0, 0, 0, 0]);
  const n = histogram([1, NaN, Infinity, 2], 2);
  assert.equal(n.num, 2);
  assert.throws(() => histogram([1], 0), /bins must be/);
});
