// update-ratio: a few steps of the configured optimizer on a copy of the model; per layer the
// update/weight ratio |Δw|/|w| per step. Karpathy's heuristic puts it near 1e-3: far below 1e-5
// the LR is too low for that layer, above 0.3 far too high.

import type { Check } from '../../types.js';
import { copyOfModel, defineCheck, disposeModel, fmt, lrOf, roundRecord, stepOf, UpdateTracker, type Finding } from './common.js';

export interface UpdateRatioOptions {
  steps?: number;
  batchSize?: number;
  low?: number;
  high?: number;
}

export function updateRatio(opts: UpdateRatioOptions = {}): Check {
  const steps = opts.steps ?? 5;
  const batchSize = opts.batchSize ?? 32;
  const low = opts.low ?? 1e-5;
  // 0.3, not Karpathy's 1e-1: Adam's first steps move every weight by about lr whatever the gradient's
  // scale, so a small output layer of a healthy AdamW run reads ~0.1; runs that blow up read 10-100
  const high = opts.high ?? 0.3;
  return defineCheck({ id: 'update-ratio', title: 'Update/weight ratio per layer', cost: 'cheap' }, async (ctx): Promise<Finding> => {
    const model = await copyOfModel(ctx);
    const opt = ctx.makeOptimizer(model);
    const step = stepOf(ctx);
    const tracker = new UpdateTracker(model);
    const losses: number[] = [];
    const lr = lrOf(opt);
    try {
      for (let i = 0; i < steps; i++) {
        const b = ctx.trainBatch(batchSize, ctx.seed + 100 + i);
        tracker.before();
        losses.push(step(model, opt, b));
        tracker.after();
        b.inputs.dispose();
        b.targets.dispose();
      }
    } finally {
      tracker.release();
      opt.dispose();
      disposeModel(model);
    }
    const ratios = tracker.mean();
    const tooLow = Object.entries(ratios).filter(([, r]) => r < low);
    const tooHigh = Object.entries(ratios).filter(([, r]) => !(r <= high));
    const evidence = { lr, steps, losses: losses.map((l) => (Number.isFinite(l) ? Number(l.toPrecision(5)) : String(l))) as string[], updateRatio: roundRecord(ratios), tooLow: tooLow.map(([k]) => k), tooHigh: tooHigh.map(([k]) => k) };
    const vals = Object.values(ratios).filter(Number.isFinite);
    const range = vals.length ? `${fmt(Math.min(...vals))} to ${fmt(Math.max(...vals))}` : 'n/a';
    if (tooHigh.length || tooLow.length) {
      const parts: string[] = [];
      if (tooHigh.length) parts.push(`above ${fmt(high)} (LR far too high?) in ${tooHigh.map(([k, r]) => `${k} ${fmt(r)}`).join(', ')}`);
      if (tooLow.length) parts.push(`below ${fmt(low)} (LR far too low, or no gradient?) in ${tooLow.map(([k, r]) => `${k} ${fmt(r)}`).join(', ')}`);
      return {
        verdict: 'warn',
        summary: `update/weight ratio over ${steps} steps at lr=${fmt(lr)}: ${parts.join('; ')} (healthy ≈ 1e-3)`,
        evidence,
        fix: tooHigh.length
          ? `Lower the learning rate (lr=${fmt(lr)}): updates change the weights by more than ${fmt(high)} of their size per step; run the lr-range-test for a value.`
          : `Raise the learning rate (lr=${fmt(lr)}) or check why these layers barely move (frozen, no gradient, a vanishing path).`,
      };
    }
    return { verdict: 'pass', summary: `update/weight ratio per step at lr=${fmt(lr)}: ${range} over ${Object.keys(ratios).length} layers (healthy ≈ 1e-3)`, evidence };
  });
}

export const UPDATE_RATIO: Check = updateRatio();
