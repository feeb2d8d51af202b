// label-distribution: samples per class in every split, the training imbalance ratio (largest class
// over smallest), classes that appear in val/test but never in train, and declared classes with no
// samples at all.

import type { Check, CheckResult, DoctorContext, Evidence } from '../types.js';
import { timer } from '../context.js';
import { labelsOf, presentSplits, resultFrom, skipped, fmt, r4, firstFew, type Finding } from './arrays.js';

/** Samples per class 0..numClasses-1 (labels outside the range are counted in `outOfRange`). */
export function classCountsOf(labels: Int32Array, numClasses: number): { counts: number[]; outOfRange: number } {
  const counts = new Array<number>(numClasses).fill(0);
  let outOfRange = 0;
  for (const y of labels) {
    if (y >= 0 && y < numClasses) counts[y]!++;
    else outOfRange++;
  }
  return { counts, outOfRange };
}

export function labelDistributionCheck(opts: { maxImbalance?: number } = {}): Check {
  const maxImbalance = opts.maxImbalance ?? 3;
  return {
    id: 'label-distribution',
    title: 'Label distribution per split',
    group: 'data',
    cost: 'cheap',
    async run(ctx: DoctorContext): Promise<CheckResult> {
      const done = timer();
      const base = () => ({ id: 'label-distribution', title: this.title, seconds: done() });
      if (ctx.task !== 'classification') return skipped(base(), 'regression task: no classes to count');
      const splits = presentSplits(ctx);
      const labels = new Map(splits.map((s) => [s, labelsOf(ctx.splits[s]!.targets)] as const));
      let k = ctx.numClasses;
      for (const l of labels.values()) for (const y of l) if (y + 1 > k) k = y + 1;
      const name = (c: number) => ctx.classes[c] ?? String(c);
      const counts = new Map(splits.map((s) => [s, classCountsOf(labels.get(s)!, k)] as const));
      const evidence: Evidence = { classes: Array.from({ length: k }, (_, c) => name(c)) };
      for (const [s, c] of counts) evidence[`counts_${s}`] = c.counts;
      const findings: Finding[] = [];
      for (const [s, c] of counts) {
        if (c.outOfRange > 0) {
          findings.push({ verdict: 'fail', message: `${c.outOfRange} ${s} labels are negative (not a class index)`, fix: 'Labels must be class indices 0..numClasses-1: remap them (e.g. ignore-index samples should be dropped).' });
        }
      }
      const train = counts.get('train')!.counts;
      const beyond = k - ctx.numClasses;
      if (beyond > 0) {
        findings.push({ verdict: 'fail', message: `labels go up to ${k - 1} but the model has ${ctx.numClasses} classes`, fix: 'Set the number of classes from the labels (or remap the labels to 0..numClasses-1).' });
      }
      // classes in val/test that train never shows
      const missing: string[] = [];
      for (const s of ['val', 'test'] as const) {
        const c = counts.get(s);
        if (!c) continue;
        c.counts.forEach((n, cls) => { if (n > 0 && train[cls] === 0) missing.push(`'${name(cls)}' (${n} in ${s})`); });
      }
      if (missing.length > 0) {
        findings.push({
          verdict: 'fail',
          message: `missing class: ${missing.length} class(es) present in val/test but absent from train: ${firstFew(missing, 5).join(', ')}`,
          fix: 'Split stratified by class (data.stratifiedSplit) so that every class has training samples, or drop the class from the evaluation.',
        });
      }
      // declared classes with no samples anywhere
      const empty: string[] = [];
      for (let cls = 0; cls < k; cls++) {
        if ([...counts.values()].every((c) => c.counts[cls] === 0)) empty.push(`'${name(cls)}'`);
      }
      if (empty.length > 0) {
        findings.push({
          verdict: 'warn',
          message: `empty class: ${empty.length} class(es) have no samples in any split: ${firstFew(empty, 5).join(', ')}`,
          fix: 'Drop the empty classes from the class list (the model wastes an output on them and the loss at init is off) or add their data.',
        });
      }
      // imbalance among the classes train has
      const present = train.filter((n) => n > 0);
      const maxN = Math.max(...present);
      const minN = Math.min(...present);
      const ratio = present.length > 0 ? maxN / minN : NaN;
      evidence.imbalanceRatio = r4(ratio);
      evidence.trainSamples = train.reduce((a, b) => a + b, 0);
      if (present.length >= 2 && ratio > maxImbalance) {
        const big = train.indexOf(maxN);
        const small = train.indexOf(minN);
        findings.push({
          verdict: 'warn',
          message: `class imbalance ${fmt(ratio)}:1 in train ('${name(big)}' ${maxN} vs '${name(small)}' ${minN})`,
          fix: 'Weight the loss by class (loss.class_weights=balanced) or sample batches with a weighted sampler (data.WeightedRandomSampler); report per-class metrics, not only accuracy.',
        });
      }
      const pass = `${present.length} classes in train, ${evidence.trainSamples} samples, imbalance ${fmt(ratio)}:1; every evaluated class is in train`;
      return resultFrom(base(), findings, pass, evidence);
    },
  };
}
