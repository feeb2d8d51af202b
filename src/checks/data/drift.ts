// train-test-drift: simple per-image properties — mean brightness, contrast (std) and the share of
// background pixels (at the training set's minimum, within 1% of its range: the zero pixels of
// raw images) — compared between train and test (or val) with the two-sample Kolmogorov–Smirnov test.

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { samplesOf, resultFrom, skipped, fmt, r4, type Finding, type Samples } from './arrays.js';
import { ks2samp } from './ks.js';

export interface ImageProperties {
  brightness: Float64Array;
  contrast: Float64Array;
  zeroFraction: Float64Array;
}

/** Per sample: mean, std and the share of values at or below `zeroLevel` (non-finite values skipped). */
export function imageProperties(s: Samples, zeroLevel: number): ImageProperties {
  const brightness = new Float64Array(s.n);
  const contrast = new Float64Array(s.n);
  const zeroFraction = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) {
    let s1 = 0;
    let s2 = 0;
    let k = 0;
    let z = 0;
    for (let j = i * s.d, e = j + s.d; j < e; j++) {
      const v = s.data[j]!;
      if (v - v !== 0) continue;
      s1 += v;
      s2 += v * v;
      k++;
      if (v <= zeroLevel) z++;
    }
    const m = k > 0 ? s1 / k : 0;
    brightness[i] = m;
    contrast[i] = k > 0 ? Math.sqrt(Math.max(0, s2 / k - m * m)) : 0;
    zeroFraction[i] = k > 0 ? z / k : 0;
  }
  return { brightness, contrast, zeroFraction };
}

function finiteRange(s: Samples): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of s.data) { if (v - v !== 0) continue; if (v < min) min = v; if (v > max) max = v; }
  return { min, max };
}

export function trainTestDriftCheck(opts: { alpha?: number; minStatistic?: number } = {}): Check {
  const alpha = opts.alpha ?? 0.01;
  const minD = opts.minStatistic ?? 0.1;
  return {
    id: 'train-test-drift',
    title: 'Train/test drift of simple image properties (KS test)',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const base = () => ({ id: 'train-test-drift', title: this.title, seconds: done() });
      const otherName = ctx.splits.test ? 'test' : ctx.splits.val ? 'val' : undefined;
      if (!otherName) return skipped(base(), 'no test or val split to compare with train');
      const useRaw = otherName === 'test' && ctx.raw?.train !== undefined && ctx.raw.test !== undefined;
      const a = samplesOf(useRaw ? ctx.raw!.train : ctx.splits.train.inputs);
      const b = samplesOf(useRaw ? ctx.raw!.test! : ctx.splits[otherName]!.inputs);
      if (a.n === 0 || b.n === 0) return skipped(base(), 'an empty split');
      const { min, max } = finiteRange(a);
      const zeroLevel = min + 0.01 * (max - min);
      const pa = imageProperties(a, zeroLevel);
      const pb = imageProperties(b, zeroLevel);
      const evidence: Evidence = { compared: `train vs ${otherName}`, inputs: useRaw ? 'raw' : 'normalised', trainSamples: a.n, [`${otherName}Samples`]: b.n };
      const drifted: string[] = [];
      for (const key of ['brightness', 'contrast', 'zeroFraction'] as const) {
        const r = ks2samp(pa[key], pb[key]);
        const meanA = pa[key].reduce((x, y) => x + y, 0) / a.n;
        const meanB = pb[key].reduce((x, y) => x + y, 0) / b.n;
        evidence[key] = { ks: r4(r.statistic), p: r.pvalue < 1e-300 ? 0 : r4(r.pvalue), method: r.method, trainMean: r4(meanA), [`${otherName}Mean`]: r4(meanB) };
        if (r.pvalue < alpha && r.statistic > minD) drifted.push(`${key} (KS ${fmt(r.statistic)}, p ${fmt(r.pvalue)}; mean ${fmt(meanA)} vs ${fmt(meanB)})`);
      }
      const findings: Finding[] = drifted.length > 0 ? [{
        verdict: 'warn',
        message: `train/${otherName} drift: ${drifted.join(', ')}`,
        fix: `The ${otherName} images differ from the training images (acquisition, preprocessing or a different source): preprocess both splits the same way, look at both sample grids, and add ${otherName}-like data (or augmentation over brightness/contrast) to training.`,
      }] : [];
      const ks = (k: string) => fmt((evidence[k] as Record<string, number>).ks);
      return resultFrom(base(), findings, `no drift between train and ${otherName}: KS brightness ${ks('brightness')}, contrast ${ks('contrast')}, zero share ${ks('zeroFraction')}`, evidence);
    },
  };
}
