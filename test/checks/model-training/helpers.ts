// Synthetic problems and contexts for the training model checks: blobs (classification), a linear
// rule (regression) and tiny images whose class is where the bright square sits.

import { torch, nn, optim, type Tensor } from '../../../src/index.js';
import { contextFromTensors } from '../../../src/checks/context.js';
import type { DoctorContext, CheckResult } from '../../../src/checks/types.js';

export interface Data { inputs: Tensor; targets: Tensor }

/** Gaussian blobs (fixed centres; `seed` draws the samples) in `dim` dimensions, [n, dim] and [n] int64. */
export function blobs(n: number, seed: number, dim = 8, classes = 4): Data {
  return torch.tidy(() => {
    torch.manualSeed(1234);
    const centers = torch.randn([classes, dim]).mul(2.5);
    torch.manualSeed(seed + 1);
    const y = torch.randint(0, classes, [n]);
    const x = centers.index_select(0, y).add(torch.randn([n, dim]));
    return { inputs: x.keep(), targets: y.keep() };
  });
}

/** y = x·w + noise (fixed w; `seed` draws the samples), [n, dim] and [n, 1]. */
export function linear(n: number, seed: number, dim = 8): Data {
  return torch.tidy(() => {
    torch.manualSeed(4321);
    const w = torch.randn([dim, 1]);
    torch.manualSeed(seed);
    const x = torch.randn([n, dim]);
    const y = x.matmul(w).add(torch.randn([n, 1]).mul(0.1));
    return { inputs: x.keep(), targets: y.keep() };
  });
}

/** 1×8×8 images of noise with a bright 3×3 square in one of 4 quadrants (the class). */
export function squares(n: number, seed: number): Data {
  return torch.tidy(() => {
    torch.manualSeed(seed);
    const y = torch.randint(0, 4, [n]);
    const x = torch.randn([n, 1, 8, 8]).mul(0.3);
    const ys = y.tolist() as number[];
    const mask = new Float32Array(n * 64);
    ys.forEach((c, i) => {
      const r0 = c < 2 ? 1 : 5, c0 = c % 2 === 0 ? 1 : 5;
      for (let r = r0 - 1; r < r0 + 2; r++) for (let q = c0 - 1; q < c0 + 2; q++) mask[i * 64 + r * 8 + q] = 2;
    });
    return { inputs: x.add(torch.fromTypedArray(mask, [n, 1, 8, 8])).keep(), targets: y.keep() };
  });
}

export function dispose(d: Data): void {
  d.inputs.dispose();
  d.targets.dispose();
}

export function mlp(dim = 8, classes = 4, hidden = 32): nn.Sequential {
  return new nn.Sequential(new nn.Linear(dim, hidden), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(hidden, hidden), new nn.ReLU(), new nn.Linear(hidden, classes));
}

export function cnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Dropout(0.2), new nn.Linear(8 * 4 * 4, 32), new nn.ReLU(), new nn.Linear(32, 4),
  );
}

export interface Setup {
  train: Data;
  val?: Data;
  model: () => nn.Module;
  optimizer?: (m: nn.Module) => optim.Optimizer;
  loss?: (o: Tensor, t: Tensor) => Tensor;
}

export async function makeCtx(s: Setup): Promise<DoctorContext> {
  return contextFromTensors({
    makeModel: s.model,
    makeOptimizer: s.optimizer ?? ((m) => new optim.Adam(m.parameters(), { lr: 1e-3 })),
    loss: s.loss ?? ((o, t) => nn.crossEntropy(o, t)),
    train: s.train,
    ...(s.val ? { val: s.val } : {}),
    seed: 0,
  });
}

export function show(r: CheckResult): string {
  return `${r.id}: ${r.verdict} (${r.seconds.toFixed(2)}s) ${r.summary}`;
}
