// The data of an inpainting experiment: the images of the configured data set (0-1, not
// normalised), turned into masked inputs and mask-carrying targets by InpaintingLoader. Training
// masks are new every epoch; validation and test masks are fixed per sample by inpaint.eval_seed,
// so scores compare across epochs and across runs.

import { torch, type Tensor } from '../torch/index.js';
import { InpaintingLoader, inpaintingTargets, maskedInputs, randomRectangleMasks, type HoleOptions } from '../inpaint/index.js';
import type { ExperimentConfig } from './schema.js';
import { buildData, type ExperimentData } from './data.js';

/** At most this many training samples are kept as tensors for the doctor (the loaders see them all). */
const DOCTOR_TRAIN_SAMPLES = 8192;

export function holeOptions(cfg: ExperimentConfig): HoleOptions {
  return { minSize: cfg.inpaint.hole_min, maxSize: cfg.inpaint.hole_max, count: cfg.inpaint.holes };
}

/** Images [N, C, H, W] to masked inputs and targets with the fixed masks of `seed`. */
export function maskSplit(images: Tensor, holes: HoleOptions, seed: number, limit = Infinity): { inputs: Tensor; targets: Tensor } {
  const n = Math.min(images.shape[0]!, limit);
  const [, , H, W] = images.shape as [number, number, number, number];
  return torch.tidy(() => {
    const x = images.narrow(0, 0, n);
    const masks = randomRectangleMasks(Array.from({ length: n }, (_, i) => i), H, W, holes, seed, null).to(x.device);
    return { inputs: maskedInputs(x, masks).keep(), targets: inpaintingTargets(x, masks).keep() };
  });
}

export async function inpaintingData(cfg: ExperimentConfig): Promise<ExperimentData> {
  const base = await buildData({ ...cfg.data, normalize: false }, cfg.seed, cfg.device);
  const holes = holeOptions(cfg);
  const [C, H, W] = base.inputShape;
  const evalSeed = cfg.inpaint.eval_seed;
  const wrap = (l: ExperimentData['train'] | undefined, mode: 'train' | 'eval') => l === undefined ? undefined : new InpaintingLoader(l, { holes, seed: mode === 'train' ? cfg.seed : evalSeed, mode });
  const owned: Tensor[] = [];
  let tensors: ExperimentData['tensors'];
  try {
    if (base.tensors !== undefined) {
      const t = base.tensors;
      const train = maskSplit(t.train.inputs, holes, cfg.seed, DOCTOR_TRAIN_SAMPLES);
      const val = t.val ? maskSplit(t.val.inputs, holes, evalSeed) : undefined;
      const test = t.test ? maskSplit(t.test.inputs, holes, evalSeed) : undefined;
      for (const s of [train, val, test]) if (s) owned.push(s.inputs, s.targets);
      tensors = { train, ...(val ? { val } : {}), ...(test ? { test } : {}), raw: t.raw };
    }
  } catch (e) {
    for (const x of owned) x.dispose();
    await base.close();
    throw e;
  }
  return {
    ...base,
    train: wrap(base.train, 'train')!,
    val: wrap(base.val, 'eval'),
    test: wrap(base.test, 'eval'),
    inputShape: [C + 1, H, W],
    stats: null,
    ...(tensors ? { tensors } : {}),
    /** the unmasked images as the base data set has them (baselines and the Fréchet distance read these) */
    images: base.tensors ? { train: base.tensors.train.inputs, test: base.tensors.test?.inputs } : undefined,
    async close() {
      for (const x of owned) x.dispose();
      await base.close();
    },
  };
}
