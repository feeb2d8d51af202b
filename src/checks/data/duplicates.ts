// duplicates: exact copies (a hash of each sample's float32 bytes, confirmed byte by byte) within
// train and across train/val/test — leakage — and copies that disagree on the label; then near
// copies across splits: an 8×8 average hash of each image (probing the few bits closest to the
// threshold) finds candidates, the correlation of 16×16 thumbnails filters them, and the correlation
// over all pixels (≥ 0.99: the same picture re-lit, re-encoded or with a little noise) confirms them. Hash maps and
// typed arrays throughout: linear in the number of samples (Fashion-MNIST 60k + 10k in about a second).

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { samplesOf, labelsOf, resultFrom, fmt, r4, firstFew, type Finding, type Samples, type SplitName } from './arrays.js';

/** A 52-bit hash of each sample's bytes (two 32-bit FNV-style hashes). */
export function sampleHashes(s: Samples): Float64Array {
  const u = new Uint32Array(s.data.buffer, s.data.byteOffset, s.data.length);
  const out = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) {
    let h1 = 0x811c9dc5 | 0;
    let h2 = 0x01000193 ^ s.d;
    for (let j = i * s.d, e = j + s.d; j < e; j++) {
      const v = u[j]!;
      h1 = Math.imul(h1 ^ v, 0x01000193);
      h2 = Math.imul(h2 + v, 0x5bd1e995) ^ (h2 >>> 15);
    }
    out[i] = (h1 >>> 0) * 1048576 + ((h2 >>> 0) & 0xfffff);
  }
  return out;
}

function sameBytes(a: Samples, i: number, b: Samples, j: number): boolean {
  if (a.d !== b.d) return false;
  const ua = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const ub = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  for (let k = 0, oa = i * a.d, ob = j * b.d; k < a.d; k++) if (ua[oa + k] !== ub[ob + k]) return false;
  return true;
}

const THUMB = 16;

/** Per sample: the 8×8 average hash (two uint32) and a zero-mean unit-norm 16×16 thumbnail (channel mean). */
export function perceptualFeatures(s: Samples): { hashHi: Uint32Array; hashLo: Uint32Array; margin: Float32Array; thumbs: Float32Array; flat: Uint8Array } {
  const { n, c, h, w } = s;
  const hw = h * w;
  const hashHi = new Uint32Array(n);
  const hashLo = new Uint32Array(n);
  const margin = new Float32Array(n * 64); // |cell - mean| of each aHash cell, to probe uncertain bits
  const thumbs = new Float32Array(n * THUMB * THUMB);
  const flat = new Uint8Array(n);
  const cell8 = new Int32Array(hw);
  const cell16 = new Int32Array(hw);
  const cnt8 = new Float64Array(64);
  const cnt16 = new Float64Array(THUMB * THUMB);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = Math.floor((y * 8) / h) * 8 + Math.floor((x * 8) / w);
      const b = Math.floor((y * THUMB) / h) * THUMB + Math.floor((x * THUMB) / w);
      cell8[y * w + x] = a;
      cell16[y * w + x] = b;
      cnt8[a]! += 1;
      cnt16[b]! += 1;
    }
  }
  const s8 = new Float64Array(64);
  const s16 = new Float64Array(THUMB * THUMB);
  for (let i = 0; i < n; i++) {
    s8.fill(0);
    s16.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const o = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) {
        const v = s.data[o + p]!;
        s8[cell8[p]!]! += v;
        s16[cell16[p]!]! += v;
      }
    }
    let m8 = 0;
    let k8 = 0;
    for (let q = 0; q < 64; q++) if (cnt8[q]! > 0) { s8[q] = s8[q]! / cnt8[q]!; m8 += s8[q]!; k8++; }
    m8 /= Math.max(1, k8);
    let hi = 0;
    let lo = 0;
    for (let q = 0; q < 64; q++) {
      const bit = cnt8[q]! > 0 && s8[q]! > m8 ? 1 : 0;
      if (q < 32) hi |= bit << q; else lo |= bit << (q - 32);
      margin[i * 64 + q] = cnt8[q]! > 0 ? Math.abs(s8[q]! - m8) : Infinity;
    }
    hashHi[i] = hi >>> 0;
    hashLo[i] = lo >>> 0;
    let m16 = 0;
    let k16 = 0;
    for (let q = 0; q < THUMB * THUMB; q++) if (cnt16[q]! > 0) { s16[q] = s16[q]! / cnt16[q]!; m16 += s16[q]!; k16++; }
    m16 /= Math.max(1, k16);
    let norm = 0;
    for (let q = 0; q < THUMB * THUMB; q++) { const v = cnt16[q]! > 0 ? s16[q]! - m16 : 0; s16[q] = v; norm += v * v; }
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12) || !Number.isFinite(norm)) { flat[i] = 1; continue; }
    const to = i * THUMB * THUMB;
    for (let q = 0; q < THUMB * THUMB; q++) thumbs[to + q] = s16[q]! / norm;
  }
  return { hashHi, hashLo, margin, thumbs, flat };
}

/** Per-sample mean and centred norm, computed when first needed (NaN: not yet). */
function lazyMoments(n: number): { mean: Float64Array; norm: Float64Array } {
  return { mean: new Float64Array(n).fill(Number.NaN), norm: new Float64Array(n) };
}

function moments(s: Samples, i: number, m: { mean: Float64Array; norm: Float64Array }): void {
  if (!Number.isNaN(m.mean[i]!)) return;
  const o = i * s.d;
  let sum = 0;
  for (let q = o; q < o + s.d; q++) sum += s.data[q]!;
  const mean = sum / s.d;
  let ss = 0;
  for (let q = o; q < o + s.d; q++) { const v = s.data[q]! - mean; ss += v * v; }
  m.mean[i] = mean;
  m.norm[i] = Math.sqrt(ss);
}

/** Pearson correlation of two samples over all their values. */
function fullCorrelation(a: Samples, i: number, ma: { mean: Float64Array; norm: Float64Array }, b: Samples, j: number, mb: { mean: Float64Array; norm: Float64Array }): number {
  moments(a, i, ma);
  moments(b, j, mb);
  const oa = i * a.d;
  const ob = j * b.d;
  const meanA = ma.mean[i]!;
  const meanB = mb.mean[j]!;
  let dot = 0;
  for (let q = 0; q < a.d; q++) dot += (a.data[oa + q]! - meanA) * (b.data[ob + q]! - meanB);
  const den = ma.norm[i]! * mb.norm[j]!;
  return den > 0 ? dot / den : 0;
}

export interface DuplicatesOptions {
  /** correlation over all pixels at or above which two images are near copies (default 0.99) */
  nearCorrelation?: number;
  /** 16×16 thumbnail correlation a candidate pair must reach before the full comparison (default 0.95) */
  thumbnailCorrelation?: number;
  /** share of val/test samples with a near copy in train above which to warn (default 0.01) */
  nearShare?: number;
  /** share of exact copies within train above which to warn (default 0.01) */
  withinShare?: number;
  /** candidates compared per probed hash bucket (default 64) */
  bucketCap?: number;
}

export function duplicatesCheck(opts: DuplicatesOptions = {}): Check {
  const nearCorr = opts.nearCorrelation ?? 0.99;
  const thumbCorr = opts.thumbnailCorrelation ?? 0.95;
  const nearShare = opts.nearShare ?? 0.01;
  const withinShare = opts.withinShare ?? 0.01;
  const bucketCap = opts.bucketCap ?? 64;
  return {
    id: 'duplicates',
    title: 'Duplicates and train/test leakage',
    group: 'data',
    cost: 'moderate',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const classification = ctx.task === 'classification';
      const train = samplesOf(ctx.splits.train.inputs);
      const trainY = classification ? labelsOf(ctx.splits.train.targets) : null;
      const name = (y: number) => ctx.classes[y] ?? String(y);
      const trainHash = sampleHashes(train);
      const first = new Map<number, number>();
      const withinPairs: [number, number][] = [];
      const withinConflicts: [number, number][] = [];
      for (let i = 0; i < train.n; i++) {
        const key = trainHash[i]!;
        const j = first.get(key);
        if (j === undefined) { first.set(key, i); continue; }
        if (!sameBytes(train, j, train, i)) continue;
        withinPairs.push([j, i]);
        if (trainY && trainY[j] !== trainY[i]) withinConflicts.push([j, i]);
      }
      const evidence: Evidence = { trainSamples: train.n, duplicatesWithinTrain: withinPairs.length, conflictingWithinTrain: withinConflicts.length };
      if (withinPairs.length > 0) evidence.withinTrainPairs = firstFew(withinPairs).map(([a, b]) => `train#${a}=train#${b}`);
      const findings: Finding[] = [];
      if (withinConflicts.length > 0) {
        const [a, b] = withinConflicts[0]!;
        findings.push({
          verdict: 'fail',
          message: `conflicting labels: ${withinConflicts.length} identical training images carry different labels (e.g. train#${a} '${name(trainY![a]!)}' = train#${b} '${name(trainY![b]!)}')`,
          fix: 'Relabel or drop the conflicting copies (see evidence.conflictPairs); identical inputs with two labels cap the accuracy and confuse the loss.',
        });
        evidence.conflictPairs = firstFew(withinConflicts).map(([x, y]) => `train#${x}=train#${y}`);
      }
      if (withinPairs.length > withinShare * train.n) {
        findings.push({
          verdict: 'warn',
          message: `${withinPairs.length} exact duplicates within train (${fmt((100 * withinPairs.length) / train.n)}%)`,
          fix: 'Deduplicate the training set (keep one copy of each image); duplicates over-weight some samples.',
        });
      }
      const trainFeat = perceptualFeatures(train);
      const trainMoments = lazyMoments(train.n);
      const buckets = new Map<string, number[]>();
      for (let i = 0; i < train.n; i++) {
        if (trainFeat.flat[i]) continue;
        const key = `${trainFeat.hashHi[i]}:${trainFeat.hashLo[i]}`;
        const b = buckets.get(key);
        if (b) { if (b.length < bucketCap) b.push(i); } else buckets.set(key, [i]);
      }
      for (const split of ['val', 'test'] as const satisfies readonly SplitName[]) {
        const sp = ctx.splits[split];
        if (!sp) continue;
        const other = samplesOf(sp.inputs);
        if (other.d !== train.d) { evidence[`${split}Skipped`] = `sample size ${other.d} ≠ train ${train.d}`; continue; }
        const otherY = classification ? labelsOf(sp.targets) : null;
        const hashes = sampleHashes(other);
        const leaks: [number, number][] = [];
        const conflicts: [number, number][] = [];
        const exact = new Uint8Array(other.n);
        for (let j = 0; j < other.n; j++) {
          const t = first.get(hashes[j]!);
          if (t === undefined || !sameBytes(train, t, other, j)) continue;
          exact[j] = 1;
          leaks.push([t, j]);
          if (trainY && otherY && trainY[t] !== otherY[j]) conflicts.push([t, j]);
        }
        // near copies: probe the exact aHash and the flips of its 3 least certain bits
        const feat = perceptualFeatures(other);
        const otherMoments = lazyMoments(other.n);
        const near: [number, number, number][] = [];
        let compared = 0;
        const order = [0, 1, 2];
        for (let j = 0; j < other.n; j++) {
          if (exact[j] || feat.flat[j]) continue;
          const m = feat.margin.subarray(j * 64, j * 64 + 64);
          const idx = Array.from({ length: 64 }, (_, q) => q).sort((a, b) => m[a]! - m[b]!).slice(0, order.length);
          let best = -1;
          let bestI = -1;
          for (let mask = 0; mask < 1 << idx.length; mask++) {
            let hi = feat.hashHi[j]!;
            let lo = feat.hashLo[j]!;
            for (let k = 0; k < idx.length; k++) {
              if (!(mask & (1 << k))) continue;
              const q = idx[k]!;
              if (q < 32) hi = (hi ^ (1 << q)) >>> 0; else lo = (lo ^ (1 << (q - 32))) >>> 0;
            }
            const cand = buckets.get(`${hi}:${lo}`);
            if (!cand) continue;
            const oj = j * THUMB * THUMB;
            for (const i of cand) {
              compared++;
              const oi = i * THUMB * THUMB;
              let dot = 0;
              for (let q = 0; q < THUMB * THUMB; q++) dot += feat.thumbs[oj + q]! * trainFeat.thumbs[oi + q]!;
              if (dot < thumbCorr) continue;
              const r = fullCorrelation(train, i, trainMoments, other, j, otherMoments);
              if (r > best) { best = r; bestI = i; }
            }
          }
          if (best >= nearCorr) near.push([bestI, j, best]);
        }
        evidence[`${split}Samples`] = other.n;
        evidence[`${split}InTrain`] = leaks.length;
        evidence[`${split}ConflictingWithTrain`] = conflicts.length;
        evidence[`${split}NearDuplicates`] = near.length;
        evidence[`${split}NearShare`] = r4(near.length / Math.max(1, other.n));
        evidence[`${split}NearComparisons`] = compared;
        if (leaks.length > 0) evidence[`${split}LeakPairs`] = firstFew(leaks).map(([a, b]) => `train#${a}=${split}#${b}`);
        if (near.length > 0) evidence[`${split}NearPairs`] = firstFew(near).map(([a, b, r]) => `train#${a}~${split}#${b} (r=${r.toFixed(3)})`);
        if (leaks.length > 0) {
          const ex = firstFew(leaks, 3).map(([a, b]) => `train#${a}=${split}#${b}`).join(', ');
          findings.push({
            verdict: 'fail',
            message: `train/${split} leakage: ${leaks.length} ${split} samples (${fmt((100 * leaks.length) / other.n)}%) also appear in train, e.g. ${ex}`,
            fix: `Remove the ${split} samples from train (or re-split by content hash: data.hashSplit) so that the ${split} score measures generalisation, not memory.`,
          });
        }
        if (conflicts.length > 0) {
          const [a, b] = conflicts[0]!;
          findings.push({
            verdict: 'fail',
            message: `conflicting labels: ${conflicts.length} ${split} samples equal a training image with another label (e.g. train#${a} '${name(trainY![a]!)}' = ${split}#${b} '${name(otherY![b]!)}')`,
            fix: 'Relabel or drop the conflicting copies; identical inputs with two labels make the evaluation meaningless.',
          });
        }
        if (near.length > nearShare * other.n) {
          findings.push({
            verdict: 'warn',
            message: `${near.length} ${split} samples (${fmt((100 * near.length) / other.n)}%) are near duplicates of training images (pixel correlation ≥ ${nearCorr})`,
            fix: `Look at the pairs in evidence.${split}NearPairs; if they are the same object (re-encoded, shifted, re-lit), drop them from ${split} or split by source.`,
          });
        }
      }
      const pass = `no leakage: ${withinPairs.length} exact duplicates within train, none shared with val/test, near duplicates ${[evidence.valNearDuplicates, evidence.testNearDuplicates].filter((x) => x !== undefined).join('/') || 0}`;
      return resultFrom({ id: 'duplicates', title: this.title, seconds: done() }, findings, pass, evidence);
    },
  };
}
