// Looking at the data: `sample-grid` draws a few raw samples of every class (rows by class), and
// `batch-as-model-sees-it` draws the batch exactly as the model receives it (after transforms and
// augmentation) with its shape, dtype, device and range — "visualise just before the net".

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { gridPng, imageArray } from '../figures.js';
import { samplesOf, labelsOf, resultFrom, skipped, fmt, r4, type Finding } from './arrays.js';
import { inputStats } from './input-stats.js';
import { scanCorrupt } from './corrupt-images.js';

export function sampleGridCheck(opts: { perClass?: number } = {}): Check {
  const perClass = opts.perClass ?? 8;
  return {
    id: 'sample-grid',
    title: 'Samples per class (raw)',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const base = () => ({ id: 'sample-grid', title: this.title, seconds: done() });
      const t = ctx.raw?.train ?? ctx.splits.train.inputs;
      if (t.shape.length < 3 || t.shape.length > 4) return skipped(base(), `inputs [${t.shape.join(', ')}] are not images`);
      const s = samplesOf(t);
      const indices: number[] = [];
      const labels: string[] = [];
      let rows = 0;
      if (ctx.task === 'classification') {
        const y = labelsOf(ctx.splits.train.targets);
        const byClass = new Map<number, number[]>();
        for (let i = 0; i < y.length && i < s.n; i++) {
          const l = byClass.get(y[i]!) ?? [];
          if (l.length < perClass) { l.push(i); byClass.set(y[i]!, l); }
        }
        for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
          const l = byClass.get(c)!;
          rows++;
          l.forEach((i) => { indices.push(i); labels.push(ctx.classes[c] ?? String(c)); });
          for (let k = l.length; k < perClass; k++) { indices.push(-1); labels.push(''); }
        }
      } else {
        for (let i = 0; i < Math.min(s.n, perClass * 8); i++) { indices.push(i); labels.push(`#${i}`); }
        rows = Math.ceil(indices.length / perClass);
      }
      // empty cells (classes with fewer samples) are drawn from a blank image appended at the end
      const blank = new Float32Array(s.d).fill(Number.NaN);
      const data = new Float32Array(s.data.length + s.d);
      data.set(s.data);
      data.set(blank, s.data.length);
      const png = gridPng({ data, n: s.n + 1, c: s.c, h: s.h, w: s.w }, { indices: indices.map((i) => (i < 0 ? s.n : i)), labels, cols: perClass });
      const evidence: Evidence = { shown: indices.filter((i) => i >= 0).length, rows, source: ctx.raw?.train ? 'raw' : 'normalised', shape: t.shape.map(String) };
      return resultFrom(base(), [], `${evidence.shown} training samples in ${rows} rows (${ctx.task === 'classification' ? 'one per class' : 'storage order'})`, evidence,
        [{ name: 'samples', caption: `Up to ${perClass} training samples per class, raw, each min-max scaled`, png }]);
    },
  };
}

export function batchAsModelSeesItCheck(opts: { size?: number; unnormalisedMax?: number } = {}): Check {
  const size = opts.size ?? 32;
  const unnormalisedMax = opts.unnormalisedMax ?? 20;
  return {
    id: 'batch-as-model-sees-it',
    title: 'A training batch as the model sees it',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const base = () => ({ id: 'batch-as-model-sees-it', title: this.title, seconds: done() });
      const b = ctx.trainBatch(size, ctx.seed);
      try {
        const shape = b.inputs.shape;
        const dtype = String(b.inputs.dtype);
        const device = String(b.inputs.device);
        const im = imageArray(shape.length === 3 || shape.length === 4 ? b.inputs : b.inputs.reshape([shape[0]!, 1, 1, -1]));
        const s = { ...im, d: im.c * im.h * im.w, shape, dtype };
        const st = inputStats(s);
        const corrupt = scanCorrupt(s);
        const ys = ctx.task === 'classification' ? labelsOf(b.targets) : null;
        const evidence: Evidence = {
          shape: shape.map(String), dtype, device, min: r4(st.min), max: r4(st.max),
          mean: st.mean.map(r4), std: st.std.map(r4), nonFinite: st.nonFinite,
          targetsShape: b.targets.shape.map(String), targetsDtype: String(b.targets.dtype),
          constantImages: corrupt.constant.length + corrupt.allZero.length,
        };
        const findings: Finding[] = [];
        if (st.nonFinite > 0) findings.push({ verdict: 'fail', message: `the batch holds ${st.nonFinite} NaN/Inf values`, fix: 'Trace the transforms: a division by zero (normalising by a zero std) or a corrupt sample (see corrupt-images).' });
        if (s.n > 0 && corrupt.constant.length + corrupt.allZero.length === s.n) {
          findings.push({ verdict: 'fail', message: `every image of the batch is constant (value ${fmt(st.min)}${st.max !== st.min ? `..${fmt(st.max)}` : ''}): the model sees no picture`, fix: 'A transform wipes the images (wrong scale before a clamp, uint8 overflow, a mask or crop outside the image): check the pipeline step by step on one sample.' });
        }
        if (Math.max(Math.abs(st.min), Math.abs(st.max)) > unnormalisedMax) {
          findings.push({ verdict: 'warn', message: `the batch spans ${fmt(st.min)}..${fmt(st.max)}: unnormalised values reach the model`, fix: 'Scale to 0-1 and normalise with the training mean and std before the model.' });
        }
        if (!b.inputs.isFloatingPoint()) findings.push({ verdict: 'warn', message: `inputs are ${dtype}, not floating point`, fix: 'Convert the inputs to float (toFloat) before the model.' });
        if (ys) {
          const bad = ys.filter((y) => y < 0 || y >= ctx.numClasses).length;
          if (bad > 0) findings.push({ verdict: 'fail', message: `${bad} targets outside 0..${ctx.numClasses - 1}`, fix: 'Remap the labels to class indices 0..numClasses-1.' });
        }
        const labels = ys ? Array.from(ys, (y) => ctx.classes[y] ?? String(y)) : undefined;
        const figures = shape.length === 3 || shape.length === 4
          ? [{ name: 'batch', caption: `Training batch of ${shape[0]} after transforms, [${shape.join(', ')}] ${dtype} on ${device}, range ${fmt(st.min)}..${fmt(st.max)} (each image min-max scaled)`, png: gridPng(im, { cols: 8, ...(labels ? { labels } : {}) }) }]
          : [];
        const pass = `batch [${shape.join(', ')}] ${dtype} on ${device}, range ${fmt(st.min)}..${fmt(st.max)}, mean ${st.mean.map(fmt).join('/')}, std ${st.std.map(fmt).join('/')}`;
        return resultFrom(base(), findings, pass, evidence, figures);
      } finally {
        b.inputs.dispose();
        b.targets.dispose();
      }
    },
  };
}
