// The schema of an experiment config (configs/*.yaml once composed): every key `sous train` reads,
// its type, its default and its allowed values. Validation errors name the key by its dotted path
// (src/config's validateConfig maps zod's issues to those messages).

import { z } from 'zod';

const positiveInt = z.number().int().min(1);
const nonNegative = z.number().min(0);
const fraction = z.number().min(0).max(1);

export const DataConfig = z.strictObject({
  /** fashion-mnist: Debian's dataset-fashion-mnist; image-folder: one sub-folder per class */
  name: z.enum(['fashion-mnist', 'image-folder']).default('fashion-mnist'),
  /** where the data lives (default: the Debian package's folder for fashion-mnist) */
  root: z.string().nullable().default(null),
  /** share of the training data held out for validation (stratified by class) */
  val_fraction: fraction.default(0.1),
  split: z.enum(['stratified', 'random']).default('stratified'),
  /** use only this many training samples (quick runs, CI) */
  limit: positiveInt.nullable().default(null),
  /** use only this many test samples */
  test_limit: positiveInt.nullable().default(null),
  /** normalise inputs with the training split's mean and std */
  normalize: z.boolean().default(true),
  batch_size: positiveInt.default(128),
  eval_batch_size: positiveInt.default(1000),
  num_workers: z.number().int().min(0).default(0),
  /** image-folder: images are resized to this size (square) */
  image_size: positiveInt.default(28),
  /** image-folder: 1 (grey) or 3 (RGB) */
  channels: z.union([z.literal(1), z.literal(3)]).default(1),
  /**
   * training-time augmentation, drawn per sample; flips and noise work for every data set, the rest
   * (per-sample warps on the CPU) for image folders
   */
  augment: z.strictObject({
    hflip: fraction.default(0),
    vflip: fraction.default(0),
    noise: nonNegative.default(0),
    /** image-folder: rotation by up to ± this many degrees */
    rotation: nonNegative.default(0),
    /** image-folder: shift by up to this fraction of the width and height */
    translate: fraction.default(0),
    /** image-folder: random resized crop keeping this share of the area at least (0: off) */
    crop_scale: fraction.default(0),
    /** image-folder: brightness and contrast jitter (0.2: factors in [0.8, 1.2]) */
    jitter: fraction.default(0),
    /** image-folder: probability of random erasing (a rectangle set to 0) */
    erase: fraction.default(0),
  }).prefault({}),
});

export const ModelConfig = z.looseObject({
  /** mlp, cnn, resnet (classification), unet (inpainting), or file (then `file` names a .ts/.js module) */
  name: z.enum(['mlp', 'cnn', 'resnet', 'unet', 'file']),
  file: z.string().nullable().optional(),
});

export const OptimConfig = z.strictObject({
  name: z.enum(['sgd', 'adam', 'adamw', 'rmsprop']),
  lr: z.number().gt(0),
  weight_decay: nonNegative.default(0),
  momentum: nonNegative.default(0.9),
  nesterov: z.boolean().default(false),
  betas: z.tuple([fraction, fraction]).default([0.9, 0.999]),
  eps: z.number().gt(0).default(1e-8),
});

export const ScheduleConfig = z.strictObject({
  name: z.enum(['none', 'onecycle', 'cosine', 'step', 'multistep', 'exponential', 'plateau']).default('none'),
  /** onecycle: the peak learning rate (default: 5 × optim.lr) */
  max_lr: z.number().gt(0).nullable().default(null),
  /** onecycle: share of the steps spent warming up */
  pct_start: fraction.default(0.3),
  /** cosine: linear warm-up steps before the cosine decay */
  warmup_steps: z.number().int().min(0).default(0),
  /** cosine: the final learning rate */
  min_lr: nonNegative.default(0),
  /** step: epochs between decays */
  step_size: positiveInt.default(10),
  /** multistep: the epochs at which the lr decays */
  milestones: z.array(positiveInt).default([]),
  /** step, multistep, exponential: the decay factor; plateau: the reduction factor */
  gamma: z.number().gt(0).max(1).default(0.1),
  /** plateau: epochs without improvement before a reduction */
  patience: z.number().int().min(0).default(2),
});

export const LossConfig = z.strictObject({
  /** classification: cross_entropy; inpainting: l1, mse or smooth_l1 (per pixel, split into hole and valid part) */
  name: z.enum(['cross_entropy', 'l1', 'mse', 'smooth_l1']).default('cross_entropy'),
  label_smoothing: z.number().min(0).max(1).default(0),
  /** none, or balanced: inverse class frequency of the training split */
  class_weights: z.enum(['none', 'balanced']).default('none'),
  /** inpainting: weight of the error inside the hole (Liu et al. 2018 use 6) */
  hole_weight: nonNegative.default(6),
  /** inpainting: weight of the error on the known pixels */
  valid_weight: nonNegative.default(1),
  /** smooth_l1: where the error turns from quadratic to linear */
  beta: nonNegative.default(1),
});

/** The inpainting task (task: inpainting): random rectangular holes per sample (see docs/inpainting.md). */
export const InpaintConfig = z.strictObject({
  /** smallest side of a hole, pixels */
  hole_min: positiveInt.default(8),
  /** largest side of a hole, pixels (inclusive) */
  hole_max: positiveInt.default(16),
  /** holes per image */
  holes: positiveInt.default(1),
  /** seeds the validation and test masks (fixed per sample, the same for every run with this value) */
  eval_seed: z.number().int().min(0).default(0),
  /** test time: the side of the square holes of the report that compares the model with the baselines */
  report_hole: positiveInt.default(12),
  /** test time: score the baselines (mean fill, smooth fill, nearest training image) beside the model */
  baselines: z.boolean().default(true),
  /**
   * test time: a Fréchet distance on the features of this Fashion-MNIST classifier (a run folder or
   * its best.safetensors, trained with model=cnn); null: none. Not comparable to published FID.
   */
  frechet_classifier: z.string().nullable().default(null),
});

export const TrainerConfig = z.strictObject({
  epochs: z.number().int().min(0).default(10),
  max_steps: positiveInt.nullable().default(null),
  grad_clip_norm: z.number().gt(0).nullable().default(null),
  grad_clip_value: z.number().gt(0).nullable().default(null),
  accumulate: positiveInt.default(1),
  precision: z.enum(['32', 'bf16', 'fp16']).default('32'),
  /** the validation metric for the best checkpoint and early stopping (null: val/accuracy, or val/psnr for inpainting) */
  monitor: z.string().nullable().default(null),
  monitor_mode: z.enum(['min', 'max', 'auto']).default('auto'),
  early_stopping: z.strictObject({
    /** epochs without improvement before stopping; null: never stop early */
    patience: positiveInt.nullable().default(null),
    min_delta: nonNegative.default(0),
  }).prefault({}),
  /** optimizer steps between checkpoints (besides every epoch's end); null: epoch ends only */
  checkpoint_every: positiveInt.nullable().default(null),
  /** prior: set the final layer's bias to the log class prior before training (the recipe's "init well") */
  init_bias: z.enum(['none', 'prior']).default('none'),
  /** top-k accuracies reported besides accuracy */
  top_k: z.array(z.number().int().min(2)).default([]),
  wheels: z.strictObject({
    enabled: z.boolean().default(true),
    spike_factor: z.number().gt(1).default(3),
    max_rollbacks: z.number().int().min(0).default(3),
    lr_factor: z.number().gt(0).max(1).default(0.5),
    snapshot_every: positiveInt.default(50),
    warmup_batches: z.number().int().min(0).default(20),
  }).prefault({}),
});

export const ExperimentConfig = z.strictObject({
  name: z.string().default('run'),
  /** classification (labels from images), or inpainting (fill random holes: docs/inpainting.md) */
  task: z.enum(['classification', 'inpainting']).default('classification'),
  inpaint: InpaintConfig.prefault({}),
  seed: z.number().int().min(0).default(0),
  /** cpu, cuda or cuda:N */
  device: z.string().regex(/^(cpu|cuda(:\d+)?)$/, "must be 'cpu', 'cuda' or 'cuda:N'").default('cpu'),
  /** where run folders are made */
  out_dir: z.string().default('runs'),
  /** CPU threads for libtorch (null: every core this process may use, os.availableParallelism()) */
  threads: positiveInt.nullable().default(null),
  data: DataConfig.prefault({}),
  model: ModelConfig,
  optim: OptimConfig,
  schedule: ScheduleConfig.prefault({}),
  loss: LossConfig.prefault({}),
  trainer: TrainerConfig.prefault({}),
  /** sweep parameters for --multirun (see docs/config.md) */
  sweep: z.unknown().optional(),
});

export type ExperimentConfig = z.infer<typeof ExperimentConfig>;
export type DataConfig = z.infer<typeof DataConfig>;
export type ModelConfig = z.infer<typeof ModelConfig>;

/** The dotted paths of the schema's leaf keys (for overrides of keys a config file leaves out). */
export function schemaPaths(schema: z.ZodType = ExperimentConfig, prefix = ''): string[] {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (['default', 'prefault', 'nullable', 'optional'].includes(s.def.type) && s.def.innerType) s = s.def.innerType as typeof s;
  if (s.def.type !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries((s as unknown as z.ZodObject).shape)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    const inner = schemaPaths(v as z.ZodType, p);
    out.push(...(inner.length === 0 ? [p] : inner));
  }
  return out;
}
