// From a validated experiment config to live objects: the model (built-in or the user's file),
// the optimizer, the learning-rate schedule, the loss and the Trainer's options.

import { resolve, isAbsolute } from 'node:path';
import { torch } from '../torch/index.js';
import * as nn from '../nn/index.js';
import * as optim from '../optim/index.js';
import * as data from '../data/index.js';
import * as models from '../models/index.js';
import { ConfigError } from '../config/index.js';
import { Accuracy, TopKAccuracy, type Metric, type TrainerOptions, type SteppedSchedule } from '../train/index.js';
import type { ExperimentConfig } from './schema.js';

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The model options of a config (snake_case keys to the models' camelCase), without name/file. */
export function modelOptions(cfg: ExperimentConfig['model']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) if (k !== 'name' && k !== 'file') out[camel(k)] = v;
  return out;
}

/**
 * A new model for the config, initialised from torch's generator (seed it first). `configDir` is
 * where a relative `model.file` is looked up.
 */
export async function buildModel(cfg: ExperimentConfig, shape: { inputShape: [number, number, number]; numClasses: number }, configDir = process.cwd()): Promise<nn.Module> {
  const opts = { inputShape: shape.inputShape, numClasses: shape.numClasses, ...modelOptions(cfg.model) };
  if (cfg.model.name === 'file') {
    const file = cfg.model.file;
    if (typeof file !== 'string' || file === '') throw new ConfigError("model.file: with model.name 'file', give the path of your model module (.ts or .js) whose default export is (options) => nn.Module");
    return (await models.loadModelFile(isAbsolute(file) ? file : resolve(configDir, file), opts)) as nn.Module;
  }
  try {
    return models.create(cfg.model.name, opts) as nn.Module;
  } catch (e) {
    if (e instanceof models.ModelConfigError) throw new ConfigError(`model: ${e.message}`);
    throw e;
  }
}

export function buildOptimizer(cfg: ExperimentConfig, model: nn.Module): optim.Optimizer {
  const o = cfg.optim;
  const params = model.parameters().filter((p) => p.requiresGrad);
  switch (o.name) {
    case 'sgd': return new optim.SGD(params, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weight_decay });
    case 'adam': return new optim.Adam(params, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay });
    case 'adamw': return new optim.AdamW(params, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay });
    case 'rmsprop': return new optim.RMSprop(params, { lr: o.lr, momentum: o.momentum, eps: o.eps, weightDecay: o.weight_decay });
  }
}

/** The schedule and when it steps; `stepsPerEpoch` counts optimizer steps. */
export function buildSchedule(cfg: ExperimentConfig, optimizer: optim.Optimizer, stepsPerEpoch: number): { scheduler?: SteppedSchedule | optim.ReduceLROnPlateau; scheduleInterval: 'step' | 'epoch' } {
  const s = cfg.schedule;
  const total = Math.max(1, cfg.trainer.max_steps ?? stepsPerEpoch * cfg.trainer.epochs);
  switch (s.name) {
    case 'none': return { scheduleInterval: 'step' };
    case 'onecycle': return { scheduler: new optim.OneCycleLR(optimizer, { maxLr: s.max_lr ?? cfg.optim.lr * 5, totalSteps: total, pctStart: s.pct_start }), scheduleInterval: 'step' };
    case 'cosine': {
      const warm = Math.min(s.warmup_steps, total - 1);
      const cosine = new optim.CosineAnnealingLR(optimizer, { tMax: Math.max(1, total - warm), etaMin: s.min_lr });
      if (warm === 0) return { scheduler: cosine, scheduleInterval: 'step' };
      const linear = new optim.LinearLR(optimizer, { startFactor: 1 / (warm + 1), endFactor: 1, totalIters: warm });
      return { scheduler: new optim.SequentialLR(optimizer, { schedulers: [linear, cosine], milestones: [warm] }), scheduleInterval: 'step' };
    }
    case 'step': return { scheduler: new optim.StepLR(optimizer, { stepSize: s.step_size, gamma: s.gamma }), scheduleInterval: 'epoch' };
    case 'multistep': return { scheduler: new optim.MultiStepLR(optimizer, { milestones: s.milestones, gamma: s.gamma }), scheduleInterval: 'epoch' };
    case 'exponential': return { scheduler: new optim.ExponentialLR(optimizer, { gamma: s.gamma }), scheduleInterval: 'epoch' };
    case 'plateau': {
      const mode = monitorMode(cfg);
      return { scheduler: new optim.ReduceLROnPlateau(optimizer, { mode, factor: s.gamma, patience: s.patience }), scheduleInterval: 'epoch' };
    }
  }
}

export function monitorMode(cfg: ExperimentConfig): 'min' | 'max' {
  const m = cfg.trainer.monitor_mode;
  return m === 'auto' ? (cfg.trainer.monitor.includes('loss') ? 'min' : 'max') : m;
}

export function buildLoss(cfg: ExperimentConfig, trainLabels: Int32Array, numClasses: number, device: string): nn.CrossEntropyLoss {
  const l = cfg.loss;
  let weight;
  if (l.class_weights === 'balanced') {
    const w = data.classWeightValues(trainLabels, { numClasses });
    weight = torch.tensor(Array.from(w)).to(device).keep();
  }
  return new nn.CrossEntropyLoss({ labelSmoothing: l.label_smoothing, ...(weight ? { weight } : {}) });
}

export function buildMetrics(cfg: ExperimentConfig, numClasses: number): () => Metric[] {
  const ks = cfg.trainer.top_k.filter((k) => k < numClasses);
  return () => [new Accuracy(), ...ks.map((k) => new TopKAccuracy(k))];
}

/** The Trainer's options of a config, besides model, optimizer, loss and schedule. */
export function trainerOptions(cfg: ExperimentConfig): Partial<TrainerOptions> {
  const t = cfg.trainer;
  const w = t.wheels;
  return {
    maxEpochs: t.epochs,
    ...(t.max_steps !== null ? { maxSteps: t.max_steps } : {}),
    ...(t.grad_clip_norm !== null ? { gradClipNorm: t.grad_clip_norm } : {}),
    ...(t.grad_clip_value !== null ? { gradClipValue: t.grad_clip_value } : {}),
    accumulate: t.accumulate,
    precision: t.precision,
    monitor: t.monitor,
    monitorMode: monitorMode(cfg),
    earlyStopping: t.early_stopping.patience === null ? false : { patience: t.early_stopping.patience, minDelta: t.early_stopping.min_delta },
    ...(t.checkpoint_every !== null ? { checkpointEvery: t.checkpoint_every } : {}),
    wheels: w.enabled ? { spikeFactor: w.spike_factor, maxRollbacks: w.max_rollbacks, lrFactor: w.lr_factor, snapshotEvery: w.snapshot_every, warmupBatches: w.warmup_batches } : false,
  };
}


