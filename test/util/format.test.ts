// Exact strings of the number formatters used by logs, progress bars and tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMetric, formatPercent, formatDuration, formatCount, formatBytes } from '../../src/util/format.js';

test('formatMetric: significant digits, exponent form for tiny and huge values', () => {
  const cases: [number, string][] = [
    [0.91234, '0.9123'], [1.2e-5, '1.20e-5'], [-1.2e-5, '-1.20e-5'], [12345.6, '12346'], [123.456, '123.5'],
    [2.5, '2.500'], [0.0012345, '0.001234'], [9999.7, '10000'], [0.00099996, '1.00e-3'], [3, '3'], [0, '0'],
    [-0, '0'], [1.5e12, '1.50e12'], [NaN, 'nan'], [Infinity, 'inf'], [-Infinity, '-inf'],
  ];
  for (const [v, s] of cases) assert.equal(formatMetric(v), s, `formatMetric(${v})`);
  assert.equal(formatMetric(0.91234, { digits: 2 }), '0.91');
  assert.equal(formatMetric(3.14159, { digits: 6 }), '3.14159');
});

test('formatPercent', () => {
  assert.equal(formatPercent(0.9123), '91.23%');
  assert.equal(formatPercent(1), '100.00%');
  assert.equal(formatPercent(0.5, 0), '50%');
  assert.equal(formatPercent(NaN), 'nan');
});

test('formatDuration: seconds, minutes, hours, days; rounding carries into the next unit', () => {
  const cases: [number, string][] = [
    [0.42, '0.42 s'], [0, '0.00 s'], [12.3, '12.3 s'], [59.94, '59.9 s'], [59.96, '1 min 00 s'], [185, '3 min 05 s'],
    [3599.6, '1 h 00 min'], [3720, '1 h 02 min'], [90000, '1 d 01 h'], [-3, '0.00 s'], [NaN, '?'], [Infinity, '?'],
  ];
  for (const [v, s] of cases) assert.equal(formatDuration(v), s, `formatDuration(${v})`);
});

test('formatCount and formatBytes', () => {
  const counts: [number, string][] = [
    [999, '999'], [1234567, '1.23M'], [12345, '12.3k'], [123456, '123k'], [999_999, '1.00M'], [2.5e9, '2.50B'], [-1500, '-1.50k'], [12.5, '12.5'],
  ];
  for (const [v, s] of counts) assert.equal(formatCount(v), s, `formatCount(${v})`);
  const bytes: [number, string][] = [
    [512, '512 B'], [1536, '1.50 KiB'], [1000 * 1024, '0.977 MiB'], [3 * 2 ** 30, '3.00 GiB'], [1023.9 * 1024, '1.00 MiB'], [0, '0 B'],
  ];
  for (const [v, s] of bytes) assert.equal(formatBytes(v), s, `formatBytes(${v})`);
});
