// input-independent-baseline: two fresh models (same init) train for the same short budget, one on
// the real inputs, one on zeroed inputs; on held-out data the real one must be clearly better. If
// it is not, the model does not use its inputs (labels shuffled apart from the inputs, inputs
// zeroed or detached).

import { torch, type Tensor } from '../../../torch/index.js';
import type * as nn from '../../../nn/index.js';
import type { Batch } from '../../../data/index.js';
import { Rng, permutation } from '../../../data/random.js';
import type { Check } from '../../types.js';
import { defineCheck, disposeModel, evaluateEval, fmt, freshModel, round, rows, stepOf, type Finding } from './common.js';

export interface InputIndependentOptions {
  steps?: number;
  batchSize?: number;
  /** held-out samples to evaluate on (512) */
  evalSize?: number;
  /** stop the real run early after this many seconds (the zeroed run takes as many steps) */
  maxSeconds?: number;
  /** real val loss must be at most this share of the baseline's (0.9) */
  lossRatio?: number;
  /** and (classification) accuracy above the better of the zeroed model and the majority class by this much (0.02) */
  accuracyMargin?: number;
}

export function inputIndependentBaseline(opts: InputIndependentOptions = {}): Check {
  const steps = opts.steps ?? 300;
  const batchSize = opts.batchSize ?? 32;
  const evalSize = opts.evalSize ?? 512;
  const maxSeconds = opts.maxSeconds ?? 6;
  const lossRatioMax = opts.lossRatio ?? 0.9;
  const margin = opts.accuracyMargin ?? 0.02;
  return defineCheck({ id: 'input-independent-baseline', title: 'Input-independent baseline', cost: 'expensive' }, async (ctx): Promise<Finding> => {
    // Held-out data: the val split, else the last 20% of a permutation of train (train then draws
    // from the rest).
    const train = ctx.splits.train;
    const n = train.inputs.shape[0]!;
    let evalX: Tensor, evalY: Tensor;
    let drawBatch: (i: number) => Batch;
    let heldOut: string;
    const val = ctx.splits.val;
    if (val && val.inputs.shape[0]! > 0) {
      const m = val.inputs.shape[0]!;
      const idx = permutation(m, new Rng(ctx.seed, 11)).slice(0, Math.min(evalSize, m));
      evalX = rows(val.inputs, Array.from(idx));
      evalY = rows(val.targets, Array.from(idx));
      drawBatch = (i) => ctx.trainBatch(batchSize, ctx.seed * 7919 + 1000 + i);
      heldOut = 'val split';
    } else {
      const perm = Array.from(permutation(n, new Rng(ctx.seed, 13)));
      const nEval = Math.min(evalSize, Math.max(1, Math.floor(n * 0.2)));
      const held = perm.slice(n - nEval);
      const rest = perm.slice(0, n - nEval);
      evalX = rows(train.inputs, held);
      evalY = rows(train.targets, held);
      drawBatch = (i) => {
        const r = new Rng(ctx.seed * 7919 + 1000 + i, 17);
        const pick = Array.from(permutation(rest.length, r).slice(0, Math.min(batchSize, rest.length)), (k) => rest[k]!);
        return { inputs: rows(train.inputs, pick), targets: rows(train.targets, pick), indices: pick };
      };
      heldOut = `${nEval} held-out train samples (no val split)`;
    }
    const step = stepOf(ctx);
    const runOne = async (zeroed: boolean, budget: number): Promise<{ steps: number; loss: number; accuracy: number | null; trainLoss: number }> => {
      const model: nn.Module = await freshModel(ctx, ctx.seed + 3);
      const opt = ctx.makeOptimizer(model);
      const t0 = performance.now();
      let done = 0;
      let trainLoss = NaN;
      try {
        for (let i = 0; i < budget; i++) {
          const b = drawBatch(i);
          if (zeroed) {
            const z = torch.zeros_like(b.inputs);
            b.inputs.dispose();
            b.inputs = z;
          }
          trainLoss = step(model, opt, b);
          b.inputs.dispose();
          b.targets.dispose();
          done++;
          if (!zeroed && (performance.now() - t0) / 1000 > maxSeconds) break;
        }
        const x = zeroed ? torch.zeros_like(evalX) : evalX;
        const ev = evaluateEval(ctx, model, x, evalY);
        if (zeroed) x.dispose();
        return { steps: done, ...ev, trainLoss };
      } finally {
        opt.dispose();
        disposeModel(model);
      }
    };
    try {
      const real = await runOne(false, steps);
      const zero = await runOne(true, real.steps);
      const ratio = real.loss / zero.loss;
      // The zeroed model predicts one class; the fair baseline is the best constant guess on the
      // held-out set (its majority class), else a skewed held-out set makes any constant look good.
      const majority = real.accuracy === null ? null : torch.tidy(() => {
        const counts = evalY.flatten().bincount();
        return counts.max().item() / evalY.shape[0]!;
      });
      const baseAcc = zero.accuracy === null || majority === null ? null : Math.max(zero.accuracy, majority);
      const gain = real.accuracy !== null && baseAcc !== null ? real.accuracy - baseAcc : null;
      const evidence = {
        steps: real.steps,
        batchSize,
        heldOut,
        realValLoss: round(real.loss),
        zeroedValLoss: round(zero.loss),
        lossRatio: round(ratio),
        realAccuracy: real.accuracy === null ? null : round(real.accuracy),
        zeroedAccuracy: zero.accuracy === null ? null : round(zero.accuracy),
        majorityClassShare: majority === null ? null : round(majority),
        realTrainLoss: round(real.trainLoss),
        zeroedTrainLoss: round(zero.trainLoss),
      };
      const accText = real.accuracy === null || zero.accuracy === null || majority === null ? ''
        : `, accuracy ${(100 * real.accuracy).toFixed(1)}% vs ${(100 * zero.accuracy).toFixed(1)}% (majority class ${(100 * majority).toFixed(1)}%)`;
      const text = `after ${real.steps} steps: held-out loss ${fmt(real.loss)} on real inputs vs ${fmt(zero.loss)} on zeroed inputs (ratio ${fmt(ratio)})${accText}`;
      const clearlyBetter = ratio <= lossRatioMax && (gain === null || gain >= margin);
      if (clearlyBetter) return { verdict: 'pass', summary: `the model uses its inputs: ${text}`, evidence };
      const noUse = !(ratio <= 0.95) && (gain === null || gain < margin);
      const fix = 'Check that inputs and labels stay paired (a shuffle or sort applied to one and not the other), that the inputs reach the model '
        + '(not zeroed, constant or detached), and that augmentation does not destroy the signal.';
      if (noUse || !Number.isFinite(ratio)) {
        return {
          verdict: 'fail',
          summary: `the model does not use its inputs (labels shuffled apart from inputs? inputs zeroed or detached?): ${text}`,
          evidence,
          fix,
        };
      }
      return { verdict: 'warn', summary: `real inputs help only a little: ${text}`, evidence, fix: `${fix} If the task is hard, this may only need more steps.` };
    } finally {
      evalX.dispose();
      evalY.dispose();
    }
  });
}

export const INPUT_INDEPENDENT_BASELINE: Check = inputIndependentBaseline();
