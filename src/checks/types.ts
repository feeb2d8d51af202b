// The doctor's vocabulary: a check runs on a context (the model, its loss, optimizer factory and
// data) and returns a verdict with its evidence (numbers), a fix, and figures where a picture helps.

import type { Tensor } from '../torch/index.js';
import type * as nn from '../nn/index.js';
import type { Optimizer } from '../optim/index.js';
import type { Batch } from '../data/index.js';

export type Verdict = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export type Evidence = Record<string, number | string | boolean | null | number[] | string[] | Record<string, number | string | null>>;

/** A picture for the report: PNG bytes, written next to the report as `<check id>-<name>.png`. */
export interface Figure {
  name: string;
  caption: string;
  png: Uint8Array;
}

export interface CheckResult {
  /** stable id, kebab-case: 'loss-at-init' */
  id: string;
  title: string;
  group: 'data' | 'model';
  verdict: Verdict;
  /** one line: what was found, with the key numbers */
  summary: string;
  evidence: Evidence;
  /** what to do, for warn and fail */
  fix?: string;
  figures?: Figure[];
  seconds: number;
}

export type Task = 'classification' | 'regression';

/** The user's training step for one batch: forward, loss, backward, optimizer step, zero-grad; returns the loss. */
export type StepFn = (model: nn.Module, optimizer: Optimizer, batch: { inputs: Tensor; targets: Tensor }) => number;

/** In-memory split: inputs [N, ...] float and targets [N] (int64 classes) or [N, ...] (regression). */
export interface SplitTensors {
  inputs: Tensor;
  targets: Tensor;
}

export interface DoctorContext {
  /** a fresh model with its initial weights (checks that change it restore it, or use makeModel) */
  model: nn.Module;
  /** a new model of the same architecture, initialised from torch's generator (for checks that train) */
  makeModel(): nn.Module | Promise<nn.Module>;
  /** the optimizer the config would use, over the given model's parameters */
  makeOptimizer(model: nn.Module): Optimizer;
  /** the loss module or function: (outputs, targets) => scalar */
  loss: (outputs: Tensor, targets: Tensor) => Tensor;
  /** the user's training step; default: zeroGrad, forward, loss, backward, step */
  step?: StepFn;
  task: Task;
  /**
   * regression: the part of a target batch the outputs are compared with, when the targets carry
   * more than that (inpainting targets hold the hole mask as an extra channel); default: all of it
   */
  comparedTargets?: (targets: Tensor) => Tensor;
  numClasses: number;
  classes: string[];
  /** batches as the model sees them in training (after transforms and augmentation) */
  trainBatch(size: number, seed?: number): Batch;
  /** the splits as tensors, normalised as in training (data checks; small data sets, or a sample) */
  splits: { train: SplitTensors; val?: SplitTensors; test?: SplitTensors };
  /** the raw training inputs before normalisation, 0-1 or 0-255 as stored (data checks) */
  raw?: { train: Tensor; test?: Tensor };
  device: string;
  seed: number;
  /** the parameters the optimizer of the config covers (to find parameters left out) */
  optimizerParams?: Tensor[];
}

export interface Check {
  id: string;
  title: string;
  group: 'data' | 'model';
  /** cheap checks run before every `sous train`; the rest with `sous doctor` */
  cost: 'cheap' | 'moderate' | 'expensive';
  run(ctx: DoctorContext): Promise<CheckResult>;
}
