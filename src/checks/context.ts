// Building a DoctorContext from tensors: what tests, the TypeScript API and `sous doctor` (via the
// experiment's data) use. Batches are drawn with a seeded permutation, so checks are reproducible.

import { torch, type Tensor } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import type { Optimizer } from '../optim/index.js';
import { Rng, permutation } from '../data/random.js';
import type { DoctorContext, SplitTensors, StepFn, Task } from './types.js';

export interface ContextOptions {
  makeModel(): nn.Module | Promise<nn.Module>;
  makeOptimizer(model: nn.Module): Optimizer;
  loss: ((outputs: Tensor, targets: Tensor) => Tensor) | { call(outputs: Tensor, targets: Tensor): Tensor };
  train: SplitTensors;
  val?: SplitTensors;
  test?: SplitTensors;
  raw?: { train: Tensor; test?: Tensor };
  task?: Task;
  /** see DoctorContext.comparedTargets */
  comparedTargets?: (targets: Tensor) => Tensor;
  classes?: string[];
  step?: StepFn;
  device?: string;
  seed?: number;
  /** which parameters the optimizer covers (default: those of makeOptimizer(model)) */
  optimizerParams?: Tensor[];
}

/** A context over in-memory splits. The tensors stay the caller's (not copied, not disposed). */
export async function contextFromTensors(o: ContextOptions): Promise<DoctorContext> {
  const seed = o.seed ?? 0;
  torch.manualSeed(seed);
  const model = await o.makeModel();
  const task = o.task ?? (o.train.targets.isFloatingPoint() ? 'regression' : 'classification');
  const numClasses = task === 'classification'
    ? Math.max(o.classes?.length ?? 0, torch.tidy(() => o.train.targets.max().item()) + 1)
    : 0;
  const classes = o.classes ?? Array.from({ length: numClasses }, (_, i) => String(i));
  const loss = typeof o.loss === 'function' ? o.loss : (a: Tensor, b: Tensor) => (o.loss as { call(x: Tensor, y: Tensor): Tensor }).call(a, b);
  const n = o.train.inputs.shape[0]!;
  let optimizerParams = o.optimizerParams;
  if (optimizerParams === undefined) {
    const opt = o.makeOptimizer(model);
    optimizerParams = opt.paramGroups.flatMap((g) => g.params);
    opt.dispose();
  }
  return {
    model,
    makeModel: o.makeModel,
    makeOptimizer: o.makeOptimizer,
    loss,
    ...(o.step ? { step: o.step } : {}),
    task,
    ...(o.comparedTargets ? { comparedTargets: o.comparedTargets } : {}),
    numClasses,
    classes,
    trainBatch(size: number, batchSeed = seed) {
      const k = Math.min(size, n);
      const order = permutation(n, new Rng(batchSeed, 7)).slice(0, k);
      const idx = torch.fromTypedArray(BigInt64Array.from(order, (i) => BigInt(i)), [k]);
      const inputs = o.train.inputs.index_select(0, idx);
      const targets = o.train.targets.index_select(0, idx);
      idx.dispose();
      return { inputs, targets, indices: Array.from(order) };
    },
    splits: { train: o.train, ...(o.val ? { val: o.val } : {}), ...(o.test ? { test: o.test } : {}) },
    ...(o.raw ? { raw: o.raw } : {}),
    device: o.device ?? 'cpu',
    seed,
    optimizerParams,
  };
}

/** The standard step: zero the gradients, forward, loss, backward, optimizer step. */
export function standardStep(ctx: Pick<DoctorContext, 'loss'>): StepFn {
  return (model, optimizer, batch) => {
    optimizer.zeroGrad();
    const value = torch.tidy(() => {
      const l = ctx.loss(model.call(batch.inputs) as Tensor, batch.targets);
      l.backward();
      return l.item();
    });
    optimizer.step();
    return value;
  };
}

/** Starts a result's clock; `done` fills in the seconds. */
export function timer(): () => number {
  const t0 = performance.now();
  return () => (performance.now() - t0) / 1000;
}
