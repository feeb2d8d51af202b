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
import { InpaintingLoss, inpaintingMetrics } from '../inpaint/index.js';
import type { ExperimentConfig } from './schema.js';

const CLASSIFIERS = ['mlp', 'cnn', 'resnet'];

/**
 * The checks across keys that the schema cannot express: the loss, model and monitor must suit
 * the task. Throws a ConfigError naming the key and the fix.
 */
export function checkTask(cfg: ExperimentConfig): void {
  if (cfg.task === 'inpainting') {
    if (cfg.loss.name === 'cross_entropy') throw new ConfigError("loss.name: inpainting predicts pixels, so the loss is l1, mse or smooth_l1 (cross_entropy is for classification): loss.name=l1");
    if (CLASSIFIERS.includes(cfg.model.name)) throw new ConfigError(`model.name: '${cfg.model.name}' is a classifier; inpainting needs a model that outputs images: model=unet (or model.name=file with your own)`);
    if (cfg.data.normalize) throw new ConfigError('data.normalize: inpainting predicts pixel values in [0, 1] (PSNR and SSIM use data range 1), so inputs are not normalised: data.normalize=false');
    if (cfg.inpaint.hole_max < cfg.inpaint.hole_min) throw new ConfigError(`inpaint.hole_max (${cfg.inpaint.hole_max}) must be >= inpaint.hole_min (${cfg.inpaint.hole_min})`);
    if (cfg.trainer.init_bias === 'prior') throw new ConfigError('trainer.init_bias: prior sets a classifier\'s final bias to the log class prior; inpainting has no classes: trainer.init_bias=none');
    const bad = cfg.trainer.monitor !== null && /accuracy/.test(cfg.trainer.monitor);
    if (bad) throw new ConfigError(`trainer.monitor: inpainting reports val/psnr, val/ssim and val/loss, not '${cfg.trainer.monitor}': trainer.monitor=val/psnr`);
  } else {
    if (cfg.loss.name !== 'cross_entropy') throw new ConfigError(`loss.name: '${cfg.loss.name}' is a pixel loss for task=inpainting; classification uses cross_entropy`);
    if (cfg.model.name === 'unet') throw new ConfigError('model.name: unet outputs images (task=inpainting); for classification use cnn, resnet or mlp');
  }
}

/** The metric that picks the best checkpoint: trainer.monitor, or the task's default. */
export function monitorOf(cfg: ExperimentConfig): string {
  return cfg.trainer.monitor ?? (cfg.task === 'inpainting' ? 'val/psnr' : 'val/accuracy');
}

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
  // an inpainting model maps [C+1, H, W] (image and mask) to [C, H, W]: it has no classes
  const base = cfg.task === 'inpainting' ? { inputShape: shape.inputShape } : { inputShape: shape.inputShape, numClasses: shape.numClasses };
  const opts = { ...base, ...modelOptions(cfg.model) };
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
  return m === 'auto' ? (monitorOf(cfg).includes('loss') ? 'min' : 'max') : m;
}

export function buildLoss(cfg: ExperimentConfig, trainLabels: Int32Array, numClasses: number, device: string): nn.CrossEntropyLoss | InpaintingLoss {
  const l = cfg.loss;
  if (cfg.task === 'inpainting') {
    if (l.name === 'cross_entropy') throw new ConfigError('loss.name: inpainting uses l1, mse or smooth_l1');
    return new InpaintingLoss({ kind: l.name, holeWeight: l.hole_weight, validWeight: l.valid_weight, beta: l.beta });
  }
  let weight;
  if (l.class_weights === 'balanced') {
    const w = data.classWeightValues(trainLabels, { numClasses });
    weight = torch.tensor(Array.from(w)).to(device).keep();
  }
  return new nn.CrossEntropyLoss({ labelSmoothing: l.label_smoothing, ...(weight ? { weight } : {}) });
}

export function buildMetrics(cfg: ExperimentConfig, numClasses: number): () => Metric[] {
  if (cfg.task === 'inpainting') return () => inpaintingMetrics();
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
    monitor: monitorOf(cfg),
    monitorMode: monitorMode(cfg),
    earlyStopping: t.early_stopping.patience === null ? false : { patience: t.early_stopping.patience, minDelta: t.early_stopping.min_delta },
    ...(t.checkpoint_every !== null ? { checkpointEvery: t.checkpoint_every } : {}),
    wheels: w.enabled ? { spikeFactor: w.spike_factor, maxRollbacks: w.max_rollbacks, lrFactor: w.lr_factor, snapshotEvery: w.snapshot_every, warmupBatches: w.warmup_batches } : false,
  };
}


