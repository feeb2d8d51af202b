// Small problems and models for the basic model checks: healthy setups and a zoo of bugs, each a
// few lines away from the healthy one. Sizes stay tiny (8×8 images, 4 classes, 128 samples).

import { torch, nn, optim, type Tensor } from '../../../src/index.js';
import { contextFromTensors } from '../../../src/checks/context.js';
import type { DoctorContext, StepFn } from '../../../src/checks/types.js';

export const C = 4;

/** 128 8×8 one-channel "images", 4 classes with a class-dependent mean pattern. */
export function imageData(n = 128, seed = 1): { inputs: Tensor; targets: Tensor } {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const targets = torch.randint(0, C, [n]);
    const patterns = torch.randn([C, 1, 8, 8]);
    const inputs = patterns.index_select(0, targets).add(torch.randn([n, 1, 8, 8]).mul(0.8));
    return { inputs: inputs.keep(), targets: targets.keep() };
  });
}

/** 128 samples of 5 features, targets y = clamp(x·w, −3, 3) of shape [N, 1] (they span about −3…3). */
export function regressionData(n = 128, seed = 2, targetShape: 'column' | 'flat' = 'column'): { inputs: Tensor; targets: Tensor } {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const inputs = torch.randn([n, 5]);
    const w = torch.tensor([[1.2], [-0.8], [0.5], [1.0], [-0.6]]);
    const y = inputs.matmul(w).clamp(-3, 3);
    return { inputs: inputs.keep(), targets: (targetShape === 'flat' ? y.reshape([n]) : y).keep() };
  });
}

export function mlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, C));
}

export function cnn(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Dropout(0.1), new nn.Flatten(), new nn.Linear(8 * 4 * 4, C),
  );
}

export function regressor(): nn.Module {
  return new nn.Sequential(new nn.Linear(5, 32), new nn.ReLU(), new nn.Linear(32, 1));
}

/** (a) A layer whose output the forward computes and discards. */
export class DiscardedBranch extends nn.Module {
  flat = new nn.Flatten();
  fc1 = new nn.Linear(64, 32);
  aux = new nn.Linear(32, 32);
  head = new nn.Linear(32, C);
  override forward(x: Tensor): Tensor {
    const h = this.fc1.call(this.flat.call(x)).relu();
    this.aux.call(h); // the branch meant to be added back: its output is dropped
    return this.head.call(h);
  }
}

/** (g) A module that reshapes [B, D] through [D, B]: rows of different samples mix. */
export class BatchMix extends nn.Module {
  override forward(x: Tensor): Tensor {
    const [B, D] = x.shape as [number, number];
    return x.t().contiguous().reshape([B, D]);
  }
}

export class MixingNet extends nn.Module {
  flat = new nn.Flatten();
  fc1 = new nn.Linear(64, 32);
  mix = new BatchMix();
  fc2 = new nn.Linear(32, C);
  override forward(x: Tensor): Tensor {
    return this.fc2.call(this.mix.call(this.fc1.call(this.flat.call(x))).relu());
  }
}

/** (g') The mixing happens in the model's own forward, between two layers: a view with the batch last. */
export class InlineMixingNet extends nn.Module {
  flat = new nn.Flatten();
  fc1 = new nn.Linear(64, 32);
  fc2 = new nn.Linear(32, C);
  override forward(x: Tensor): Tensor {
    const h = this.fc1.call(this.flat.call(x)).relu();
    const [B, D] = h.shape as [number, number];
    const mixed = h.reshape([D, B]).transpose(0, 1); // meant: h.reshape([B, D])
    return this.fc2.call(mixed);
  }
}

/** Softmax over dim 0 (the batch) in the middle of the model. */
export class BatchSoftmaxNet extends nn.Module {
  flat = new nn.Flatten();
  fc1 = new nn.Linear(64, 32);
  attn = new nn.Softmax(0);
  fc2 = new nn.Linear(32, C);
  override forward(x: Tensor): Tensor {
    const h = this.fc1.call(this.flat.call(x));
    return this.fc2.call(h.mul(this.attn.call(h)));
  }
}

export const sgd = (m: nn.Module) => new optim.SGD(m.parameters(), { lr: 0.01 });
export const adam = (m: nn.Module) => new optim.Adam(m.parameters(), { lr: 1e-3 });

export interface Setup {
  model: () => nn.Module;
  task?: 'classification' | 'regression';
  data?: { inputs: Tensor; targets: Tensor };
  loss?: ((o: Tensor, t: Tensor) => Tensor) | { call(o: Tensor, t: Tensor): Tensor };
  step?: StepFn;
  optimizer?: (m: nn.Module) => optim.Optimizer;
  optimizerParams?: (m: nn.Module) => Tensor[];
  seed?: number;
}

export async function context(s: Setup): Promise<DoctorContext> {
  const data = s.data ?? (s.task === 'regression' ? regressionData() : imageData());
  let first: nn.Module | null = null;
  const ctx = await contextFromTensors({
    makeModel: () => {
      const m = s.model();
      first ??= m;
      return m;
    },
    makeOptimizer: s.optimizer ?? adam,
    loss: s.loss ?? (s.task === 'regression' ? new nn.MSELoss() : new nn.CrossEntropyLoss()),
    train: data,
    ...(s.task ? { task: s.task } : {}),
    ...(s.step ? { step: s.step } : {}),
    seed: s.seed ?? 0,
  });
  if (s.optimizerParams && first) ctx.optimizerParams = s.optimizerParams(first);
  return ctx;
}

// ---- steps with a bug each ----

const lossOf = (o: Tensor, t: Tensor) => nn.crossEntropy(o, t);

/** (d) forward, loss, optimizer.step: never backward. */
export const stepWithoutBackward: StepFn = (model, opt, batch) => {
  opt.zeroGrad();
  const v = torch.tidy(() => lossOf(model.call(batch.inputs) as Tensor, batch.targets).item());
  opt.step();
  return v;
};

/** (e) backward but no optimizer.step. */
export const stepWithoutOptimizerStep: StepFn = (model, opt, batch) => {
  opt.zeroGrad();
  return torch.tidy(() => {
    const l = lossOf(model.call(batch.inputs) as Tensor, batch.targets);
    l.backward();
    return l.item();
  });
};

/** (f) backward and step, never zeroGrad: gradients add up. */
export const stepWithoutZeroGrad: StepFn = (model, opt, batch) => {
  const v = torch.tidy(() => {
    const l = lossOf(model.call(batch.inputs) as Tensor, batch.targets);
    l.backward();
    return l.item();
  });
  opt.step();
  return v;
};

/** A correct step that clears the gradients after the update instead of before. */
export const stepZeroGradAfter: StepFn = (model, opt, batch) => {
  const v = torch.tidy(() => {
    const l = lossOf(model.call(batch.inputs) as Tensor, batch.targets);
    l.backward();
    return l.item();
  });
  opt.step();
  opt.zeroGrad();
  return v;
};
