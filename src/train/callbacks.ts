// The callbacks API: hooks the Trainer calls at the edges of fit, epochs, batches and validation.
// Users and the doctor plug in here (Lightning's Callback, Keras' callbacks). Hooks may be async; the
// trainer awaits each one in order.

import type { Tensor } from '../torch/index.js';
import type { Trainer } from './trainer.js';

export type Metrics = Record<string, number>;

export interface BatchEnd {
  /** optimizer steps taken so far (after this batch's step, if it made one) */
  step: number;
  epoch: number;
  /** the batch's index within the epoch */
  batch: number;
  /** batches in the epoch */
  batches: number;
  /** this batch's loss */
  loss: number;
  /** the learning rate of the first parameter group */
  lr: number;
  /** samples in the batch */
  size: number;
  /** true when this batch ended an optimizer step (gradient accumulation) */
  stepped: boolean;
  /** the model's outputs (detached; valid only during the hook) */
  outputs: Tensor;
  targets: Tensor;
}

export interface EpochEnd {
  epoch: number;
  step: number;
  /** train/..., val/... and lr */
  metrics: Metrics;
  seconds: number;
  /** whether this epoch's validation metric is the best so far */
  best: boolean;
}

/** Something that happened to the run: rollbacks, early stop, divergence, interruption, resume. */
export interface TrainerEvent {
  type: 'rollback' | 'diverged' | 'early_stop' | 'interrupted' | 'resumed' | 'best' | 'max_steps';
  step: number;
  epoch: number;
  message: string;
  [key: string]: unknown;
}

export interface Callback {
  onFitStart?(trainer: Trainer): void | Promise<void>;
  onEpochStart?(trainer: Trainer, epoch: number): void | Promise<void>;
  onBatchStart?(trainer: Trainer, info: { step: number; epoch: number; batch: number; batches: number }): void | Promise<void>;
  /** after backward (and accumulation), before clipping and the optimizer step: the gradients are there to read */
  onBeforeStep?(trainer: Trainer, info: { step: number; epoch: number; batch: number; batches: number }): void | Promise<void>;
  onBatchEnd?(trainer: Trainer, info: BatchEnd): void | Promise<void>;
  onValidationEnd?(trainer: Trainer, metrics: Metrics): void | Promise<void>;
  onEpochEnd?(trainer: Trainer, info: EpochEnd): void | Promise<void>;
  onEvent?(trainer: Trainer, event: TrainerEvent): void | Promise<void>;
  onCheckpoint?(trainer: Trainer, path: string, kind: 'last' | 'best'): void | Promise<void>;
  onFitEnd?(trainer: Trainer, result: unknown): void | Promise<void>;
}
