// The two-sample KS test against scipy.stats.ks_2samp: the statistic and the exact p-value to 1e-6
// (equal and unequal sizes, ties, shifted samples), the asymptotic p-value to 2e-3 on large samples.
// Python with scipy: $SOUS_SCIPY_PYTHON, else the first of python3 (PATH), /usr/bin/python3 that imports it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ks2samp, ksStatistic, kolmogorovSf } from '../../../src/checks/data/ks.js';
import { rng } from './helpers.js';

function findPython(): string | undefined {
  for (const p of [process.env.SOUS_SCIPY_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!p) continue;
    const r = spawnSync(p, ['-c', 'import scipy.stats'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}
const PY = findPython();

interface Case { a: number[]; b: number[]; method: 'exact' | 'asymp' }

function scipy(cases: Case[]): { statistic: number; pvalue: number }[] {
  if (PY === undefined) throw new Error('no python3 with scipy (the oracle): bash scripts/setup.sh installs python3-scipy');
  const code = `
import sys, json
from scipy.stats import ks_2samp
out = []
for c in json.load(sys.stdin):
    r = ks_2samp(c['a'], c['b'], method=c['method'])
    out.append({'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})
print(json.dumps(out))
`;
  const r = spawnSync(PY!, ['-c', code], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { statistic: number; pvalue: number }[];
}

function sample(n: number, seed: number, shift = 0, scale = 1, round = false): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const v = shift + scale * g;
    return round ? Math.round(v * 2) / 2 : v;
  });
}

describe('ks2samp', () => {
  it('statistic by hand', () => {
    assert.equal(ksStatistic([1, 2, 3], [4, 5, 6]), 1);
    assert.equal(ksStatistic([1, 2, 3, 4], [1, 2, 3, 4]), 0);
    assert.ok(Math.abs(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6]) - 0.5) < 1e-12);
  });

  it('Kolmogorov survival function: known values', () => {
    // Q(1.36) ≈ 0.0494, Q(1.63) ≈ 0.0098 (the 5% and 1% critical values)
    assert.ok(Math.abs(kolmogorovSf(1.3581) - 0.05) < 2e-4);
    assert.ok(Math.abs(kolmogorovSf(1.6276) - 0.01) < 1e-4);
    assert.ok(Math.abs(kolmogorovSf(0.5) - 0.9639) < 1e-4);
  });

  it('matches scipy.stats.ks_2samp exactly (statistic and exact p-value to 1e-6)', () => {
    const cases: Case[] = [
      { a: sample(20, 1), b: sample(20, 2), method: 'exact' },
      { a: sample(30, 3), b: sample(45, 4, 0.5), method: 'exact' },
      { a: sample(17, 5), b: sample(61, 6, 0.2, 1.5), method: 'exact' },
      { a: sample(100, 7), b: sample(80, 8, 0.3), method: 'exact' },
      { a: sample(50, 9, 0, 1, true), b: sample(70, 10, 0.4, 1, true), method: 'exact' }, // ties
      { a: sample(300, 11), b: sample(200, 12, 0.1), method: 'exact' },
      { a: sample(12, 13), b: sample(12, 14, 3), method: 'exact' },
      { a: sample(1000, 15), b: sample(900, 16, 0.05), method: 'exact' },
    ];
    const want = scipy(cases);
    cases.forEach((c, i) => {
      const got = ks2samp(c.a, c.b);
      assert.equal(got.method, 'exact');
      assert.ok(Math.abs(got.statistic - want[i]!.statistic) < 1e-12, `case ${i}: D ${got.statistic} vs ${want[i]!.statistic}`);
      assert.ok(Math.abs(got.pvalue - want[i]!.pvalue) < 1e-6, `case ${i}: p ${got.pvalue} vs scipy ${want[i]!.pvalue}`);
    });
  });

  it('large samples: statistic exact, asymptotic p-value within 2e-3 of scipy', () => {
    const cases: Case[] = [
      { a: sample(6000, 21), b: sample(1500, 22, 0.03), method: 'asymp' },
      { a: sample(6000, 23), b: sample(1000, 24, 0.1), method: 'asymp' },
      { a: sample(5000, 25), b: sample(4000, 26), method: 'asymp' },
    ];
    const want = scipy(cases);
    cases.forEach((c, i) => {
      const got = ks2samp(c.a, c.b);
      assert.equal(got.method, 'asymp');
      assert.ok(Math.abs(got.statistic - want[i]!.statistic) < 1e-12, `case ${i}: D`);
      assert.ok(Math.abs(got.pvalue - want[i]!.pvalue) < 2e-3, `case ${i}: p ${got.pvalue} vs scipy ${want[i]!.pvalue}`);
    });
  });
});
