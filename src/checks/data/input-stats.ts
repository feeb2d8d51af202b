// input-stats: per-channel mean and std, min and max of every split, raw and as normalised for the
// model. Flags raw 0-255 values reaching the model, inputs far from mean 0 / std 1, splits whose
// ranges disagree by scale (one 0-1, the other 0-255), and NaN or Inf.

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { samplesOf, presentSplits, resultFrom, fmt, r4, type Finding, type Samples } from './arrays.js';

export interface InputStats {
  n: number;
  mean: number[];
  std: number[];
  min: number;
  max: number;
  /** NaN and ±Inf values */
  nonFinite: number;
}

/** Per-channel mean and std (finite values only), global min, max and non-finite count. */
export function inputStats(s: Samples): InputStats {
  const { data, n, c } = s;
  const hw = s.h * s.w;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const cnt = new Float64Array(c);
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (i * c + ch) * hw;
      let s1 = 0;
      let s2 = 0;
      let k = 0;
      for (let j = o; j < o + hw; j++) {
        const v = data[j]!;
        if (v - v !== 0) { nonFinite++; continue; } // NaN or Inf
        s1 += v;
        s2 += v * v;
        k++;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      sum[ch] += s1;
      sq[ch] += s2;
      cnt[ch] += k;
    }
  }
  const mean = Array.from(sum, (x, ch) => (cnt[ch]! > 0 ? x / cnt[ch]! : NaN));
  const std = Array.from(sq, (x, ch) => (cnt[ch]! > 0 ? Math.sqrt(Math.max(0, x / cnt[ch]! - mean[ch]! ** 2)) : NaN));
  return { n, mean, std, min: n > 0 ? min : NaN, max: n > 0 ? max : NaN, nonFinite };
}

function statsEvidence(st: InputStats): Record<string, number | string | null> {
  const e: Record<string, number | string | null> = { n: st.n, min: r4(st.min), max: r4(st.max), nonFinite: st.nonFinite };
  st.mean.forEach((m, ch) => { e[`mean${ch}`] = r4(m); e[`std${ch}`] = r4(st.std[ch]!); });
  return e;
}

/** The magnitude of a split's values (for comparing scales). */
function scaleOf(st: InputStats): number {
  return Math.max(Math.abs(st.min), Math.abs(st.max));
}

export interface InputStatsThresholds {
  /** normalised |value| beyond this: raw values reach the model (default 20) */
  unnormalisedMax: number;
  /** |mean| of a normalised channel beyond this: warn (default 1) */
  meanTol: number;
  /** normalised std outside [stdLow, stdHigh]: warn (default 0.2, 5) */
  stdLow: number;
  stdHigh: number;
  /** ratio of two splits' scales beyond this: mixed scales (default 20) */
  scaleRatio: number;
}

export const INPUT_STATS_THRESHOLDS: InputStatsThresholds = { unnormalisedMax: 20, meanTol: 1, stdLow: 0.2, stdHigh: 5, scaleRatio: 20 };

export function inputStatsCheck(th: InputStatsThresholds = INPUT_STATS_THRESHOLDS): Check {
  return {
    id: 'input-stats',
    title: 'Input statistics (range, mean, std per channel)',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const findings: Finding[] = [];
      const evidence: Evidence = {};
      const norm = new Map<string, InputStats>();
      for (const split of presentSplits(ctx)) {
        const st = inputStats(samplesOf(ctx.splits[split]!.inputs));
        norm.set(split, st);
        evidence[split] = statsEvidence(st);
      }
      const raw = new Map<string, InputStats>();
      if (ctx.raw) {
        for (const split of ['train', 'test'] as const) {
          const t = ctx.raw[split];
          if (!t) continue;
          const st = inputStats(samplesOf(t));
          raw.set(split, st);
          evidence[`raw_${split}`] = statsEvidence(st);
        }
      }
      // NaN / Inf
      for (const [name, st] of [...norm, ...[...raw].map(([k, v]) => [`raw ${k}`, v] as const)]) {
        if (st.nonFinite > 0) {
          findings.push({ verdict: 'fail', message: `${st.nonFinite} NaN/Inf values in the ${name} inputs`, fix: 'Find the samples with NaN/Inf (see corrupt-images) and drop or repair them; check the decoding and normalisation (division by a zero std).' });
        }
      }
      // raw values reaching the model
      const unnorm = [...norm].filter(([, st]) => scaleOf(st) > th.unnormalisedMax);
      if (unnorm.length > 0) {
        const [name, st] = unnorm[0]!;
        findings.push({
          verdict: 'fail',
          message: `unnormalised inputs reach the model: ${name} values span ${fmt(st.min)}..${fmt(st.max)} (std ${fmt(Math.max(...st.std))}), expected about mean 0 / std 1`,
          fix: 'Scale the inputs to 0-1 (divide uint8 images by 255: data.transforms toFloat) and normalise with the training set mean and std (normalize(mean, std)).',
        });
      }
      // mixed scales between splits (as the model sees them, and raw)
      const compare = (m: Map<string, InputStats>, what: string): void => {
        const entries = [...m].filter(([, st]) => Number.isFinite(scaleOf(st)));
        for (let a = 0; a < entries.length; a++) {
          for (let b = a + 1; b < entries.length; b++) {
            const [na, sa] = entries[a]!;
            const [nb, sb] = entries[b]!;
            const ra = Math.max(scaleOf(sa), 1e-12);
            const rb = Math.max(scaleOf(sb), 1e-12);
            const ratio = Math.max(ra, rb) / Math.min(ra, rb);
            const sdA = Math.max(...sa.std, 1e-12);
            const sdB = Math.max(...sb.std, 1e-12);
            const sdRatio = Math.max(sdA, sdB) / Math.min(sdA, sdB);
            if (ratio > th.scaleRatio && sdRatio > th.scaleRatio / 4) {
              findings.push({
                verdict: 'fail',
                message: `mixed scales: ${what}${na} spans ${fmt(sa.min)}..${fmt(sa.max)} but ${what}${nb} spans ${fmt(sb.min)}..${fmt(sb.max)} (×${fmt(ratio)})`,
                fix: 'Preprocess every split the same way: the same scaling (uint8 → /255) and the same normalisation (the training set mean and std) for train, val and test.',
              });
              evidence.scaleRatio = r4(ratio);
            }
          }
        }
      };
      compare(norm, '');
      compare(raw, 'raw ');
      // normalised mean / std far from 0 / 1
      if (unnorm.length === 0) {
        for (const [name, st] of norm) {
          const off = st.mean.map((m, ch) => ({ ch, m, s: st.std[ch]! })).filter(({ m, s }) => Math.abs(m) > th.meanTol || s < th.stdLow || s > th.stdHigh);
          if (off.length > 0) {
            const o = off[0]!;
            findings.push({
              verdict: 'warn',
              message: `${name} inputs are not normalised: channel ${o.ch} mean ${fmt(o.m)}, std ${fmt(o.s)} (expected about 0 and 1)`,
              fix: 'Normalise with the training set per-channel mean and std (data.normalizationStats, then normalize(mean, std)).',
            });
          }
        }
      }
      const tr = norm.get('train');
      const pass = tr
        ? `inputs normalised: train mean ${tr.mean.map(fmt).join('/')}, std ${tr.std.map(fmt).join('/')}, range ${fmt(tr.min)}..${fmt(tr.max)}; splits agree in scale`
        : 'no inputs';
      return resultFrom({ id: 'input-stats', title: this.title, seconds: done() }, findings, pass, evidence);
    },
  };
}
