// The data of an experiment: train/val/test loaders from a validated config, the normalisation
// statistics of the training split, the class names and the content hashes a run records.
//
// Fashion-MNIST is small enough to live in memory as one float tensor per split: its loaders are
// DataLoader.fromTensors (batches by index_select, flips and noise as tensor ops). Image folders go
// through DataLoader with per-sample transforms in worker threads.

import { createHash } from 'node:crypto';
import { torch, type Tensor } from '../torch/index.js';
import * as data from '../data/index.js';
import type { BatchLoader } from '../train/index.js';
import type { DataConfig, ExperimentConfig } from './schema.js';

export interface ExperimentData {
  train: BatchLoader;
  val: BatchLoader | undefined;
  test: BatchLoader | undefined;
  classes: string[];
  /** [C, H, W] of one input */
  inputShape: [number, number, number];
  /** per-channel mean and std of the training split (0-1 scale), or null when normalize is off */
  stats: { mean: number[]; std: number[] } | null;
  /** training labels, for class weights */
  trainLabels: Int32Array;
  hashes: { dataset: string; train: string; val: string | null; test: string | null };
  /**
   * The splits as tensors, when the data set lives in memory (Fashion-MNIST): normalised inputs as the
   * model gets them, targets, and the raw training and test images (0-255 floats). The doctor reads these.
   */
  tensors?: { train: { inputs: Tensor; targets: Tensor }; val?: { inputs: Tensor; targets: Tensor }; test?: { inputs: Tensor; targets: Tensor }; raw: { train: Tensor; test: Tensor } };
  sizes: { train: number; val: number; test: number };
  /** inpainting: the unmasked 0-1 images of the splits, when they live in memory */
  images?: { train: Tensor; test: Tensor | undefined } | undefined;
  /** frees tensors and worker threads */
  close(): Promise<void>;
}

function sha256(...parts: ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex');
}

function splitIndices(cfg: DataConfig, labels: Int32Array, seed: number): { train: Int32Array; val: Int32Array } {
  if (cfg.val_fraction === 0) return { train: Int32Array.from(labels, (_, i) => i), val: new Int32Array(0) };
  const fr = { train: 1 - cfg.val_fraction, val: cfg.val_fraction };
  return cfg.split === 'stratified' ? data.stratifiedSplit(labels, fr, { seed }) : data.randomSplit(labels.length, fr, { seed });
}

/** The first `limit` of a list of indices, keeping every class present where possible (stratified prefix). */
function limitIndices(idx: Int32Array, limit: number | null): Int32Array {
  return limit === null || limit >= idx.length ? idx : idx.slice(0, limit);
}

async function fashionMnist(cfg: DataConfig, seed: number, device: string): Promise<ExperimentData> {
  const dir = cfg.root ?? undefined;
  const tr = data.loadFashionMnist('train', dir);
  const te = data.loadFashionMnist('test', dir);
  const owned: Tensor[] = [tr.images, tr.labels, te.images, te.labels];
  const allLabels = Int32Array.from(tr.labels.toArray() as BigInt64Array, (v) => Number(v));
  const datasetHash = sha256(tr.images.toArray(), tr.labels.toArray(), te.images.toArray(), te.labels.toArray());
  // a limit takes a stratified subset of the whole training set first, then splits it
  let pool: Int32Array = Int32Array.from(allLabels, (_, i) => i);
  if (cfg.limit !== null && cfg.limit < pool.length) {
    const f = cfg.limit / allLabels.length;
    const keep = data.stratifiedSplit(allLabels, { keep: f, rest: 1 - f }, { seed });
    pool = keep.keep;
  }
  const poolLabels = Int32Array.from(pool, (i) => allLabels[i]!);
  const s = splitIndices(cfg, poolLabels, seed);
  const trainIdx = Int32Array.from(s.train, (i) => pool[i]!);
  const valIdx = Int32Array.from(s.val, (i) => pool[i]!);
  const testIdx = limitIndices(Int32Array.from({ length: te.labels.shape[0]! }, (_, i) => i), cfg.test_limit);

  const select = (images: Tensor, labels: Tensor, idx: Int32Array) => torch.tidy(() => {
    const ix = torch.fromTypedArray(BigInt64Array.from(idx, (i) => BigInt(i)), [idx.length]);
    return [images.index_select(0, ix).to('float32').div(255).unsqueeze(1), labels.index_select(0, ix)] as const;
  });
  const [xTrain, yTrain] = select(tr.images, tr.labels, trainIdx);
  let stats: ExperimentData['stats'] = null;
  if (cfg.normalize) {
    const mean = xTrain.mean().item();
    const std = xTrain.std().item();
    stats = { mean: [mean], std: [std] };
  }
  const norm = (x: Tensor) => {
    if (stats === null) return x.keep();
    const y = torch.tidy(() => x.sub(stats!.mean[0]!).div(stats!.std[0]!).keep());
    x.dispose();
    return y;
  };
  const place = (t: Tensor) => {
    if (device === 'cpu') return t.keep();
    const d = t.to(device).keep();
    t.dispose();
    return d;
  };
  const xtr = place(norm(xTrain)), ytr = place(yTrain.keep());
  owned.push(xtr, ytr);
  const warps = (['rotation', 'translate', 'crop_scale', 'jitter', 'erase'] as const).filter((k) => cfg.augment[k] > 0);
  if (warps.length > 0) throw new data.DataError(`data.augment.${warps[0]}: Fashion-MNIST is kept in memory and augmented with tensor ops (hflip, vflip, noise); ${warps.join(', ')} work for image folders (data=image-folder)`);
  const augment = { horizontalFlip: cfg.augment.hflip, verticalFlip: cfg.augment.vflip, noise: cfg.augment.noise };
  const train = data.DataLoader.fromTensors(xtr, ytr, { batchSize: cfg.batch_size, shuffle: true, seed, augment });
  let val: data.TensorDataLoader | undefined;
  let valTensors: { inputs: Tensor; targets: Tensor } | undefined;
  if (valIdx.length > 0) {
    const [xv, yv] = select(tr.images, tr.labels, valIdx);
    const xvn = place(norm(xv)), yvp = place(yv.keep());
    owned.push(xvn, yvp);
    valTensors = { inputs: xvn, targets: yvp };
    val = data.DataLoader.fromTensors(xvn, yvp, { batchSize: cfg.eval_batch_size });
  }
  const [xt, yt] = select(te.images, te.labels, testIdx);
  const xtn = place(norm(xt)), ytp = place(yt.keep());
  owned.push(xtn, ytp);
  const raw = torch.tidy(() => {
    const pick = (images: Tensor, idx: Int32Array) => images.index_select(0, torch.fromTypedArray(BigInt64Array.from(idx, (i) => BigInt(i)), [idx.length])).to('float32').unsqueeze(1).keep();
    return { train: pick(tr.images, trainIdx), test: pick(te.images, testIdx) };
  });
  owned.push(raw.train, raw.test);
  const test = data.DataLoader.fromTensors(xtn, ytp, { batchSize: cfg.eval_batch_size });
  return {
    train, val, test,
    classes: [...data.FASHION_MNIST_CLASSES],
    inputShape: [1, 28, 28],
    stats,
    trainLabels: Int32Array.from(trainIdx, (i) => allLabels[i]!),
    hashes: { dataset: datasetHash, train: data.hashSplit(datasetHash, trainIdx), val: valIdx.length ? data.hashSplit(datasetHash, valIdx) : null, test: data.hashSplit(datasetHash, testIdx) },
    sizes: { train: trainIdx.length, val: valIdx.length, test: testIdx.length },
    tensors: { train: { inputs: xtr, targets: ytr }, ...(valTensors ? { val: valTensors } : {}), test: { inputs: xtn, targets: ytp }, raw },
    async close() {
      for (const l of [train, val, test]) await l?.close();
      for (const t of owned) t.dispose();
    },
  };
}

async function imageFolder(cfg: DataConfig, seed: number, device: string): Promise<ExperimentData> {
  if (cfg.root === null) throw new data.DataError("data.root: an image-folder data set needs its folder: data.root=path/to/images (one sub-folder per class; a 'test' folder beside 'train' is used as the test set)");
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const mode = cfg.channels === 1 ? 'gray' : 'rgb';
  const hasSplits = existsSync(join(cfg.root, 'train'));
  const full = new data.ImageFolder(hasSplits ? join(cfg.root, 'train') : cfg.root, { mode });
  const testSet = hasSplits && existsSync(join(cfg.root, 'test')) ? new data.ImageFolder(join(cfg.root, 'test'), { mode }) : undefined;
  const labels = full.labels();
  const datasetHash = await data.hashDataset(full);
  const pool = limitIndices(Int32Array.from(labels, (_, i) => i), cfg.limit);
  const s = splitIndices(cfg, Int32Array.from(pool, (i) => labels[i]!), seed);
  const trainIdx = Int32Array.from(s.train, (i) => pool[i]!);
  const valIdx = Int32Array.from(s.val, (i) => pool[i]!);
  const size = cfg.image_size;
  const base = [data.resize(size), data.toFloat()];
  let stats: ExperimentData['stats'] = null;
  if (cfg.normalize) {
    const imgs: data.Image[] = [];
    for (const i of trainIdx.slice(0, 2000)) imgs.push(data.applyTransforms(base, (await full.get(i)).image, new data.Rng(0)));
    stats = data.normalizationStats(imgs);
  }
  const normT = stats === null ? [] : [data.normalize(stats.mean, stats.std)];
  const a = cfg.augment;
  const aug = [
    ...(a.crop_scale > 0 ? [data.randomResizedCrop(size, { scale: [a.crop_scale, 1] })] : []),
    ...(a.rotation > 0 || a.translate > 0 ? [data.randomAffine({ degrees: a.rotation, translate: [a.translate, a.translate] })] : []),
    ...(a.hflip > 0 ? [data.randomHorizontalFlip(a.hflip)] : []),
    ...(a.vflip > 0 ? [data.randomVerticalFlip(a.vflip)] : []),
    ...(a.jitter > 0 ? [data.colorJitter({ brightness: a.jitter, contrast: a.jitter })] : []),
  ];
  const erase = a.erase > 0 ? [data.randomErasing({ p: a.erase, value: 0 })] : [];
  const noise = cfg.augment.noise > 0 ? [data.gaussianNoise(cfg.augment.noise)] : [];
  const common = { numWorkers: cfg.num_workers, device, seed };
  const train = new data.DataLoader(new data.Subset(full, trainIdx), { ...common, batchSize: cfg.batch_size, shuffle: true, transform: [...base, ...aug, ...normT, ...noise, ...erase] });
  const evalOpts = { ...common, batchSize: cfg.eval_batch_size, transform: [...base, ...normT] };
  const val = valIdx.length > 0 ? new data.DataLoader(new data.Subset(full, valIdx), evalOpts) : undefined;
  const testIdx = testSet === undefined ? null : limitIndices(Int32Array.from({ length: testSet.length }, (_, i) => i), cfg.test_limit);
  const test = testSet === undefined ? undefined : new data.DataLoader(new data.Subset(testSet, testIdx!), evalOpts);
  const testHash = testSet === undefined ? null : data.hashSplit(await data.hashDataset(testSet), testIdx!);
  return {
    train, val, test,
    classes: [...full.classes],
    inputShape: [cfg.channels, size, size],
    stats,
    trainLabels: Int32Array.from(trainIdx, (i) => labels[i]!),
    hashes: { dataset: datasetHash, train: data.hashSplit(datasetHash, trainIdx), val: valIdx.length ? data.hashSplit(datasetHash, valIdx) : null, test: testHash },
    sizes: { train: trainIdx.length, val: valIdx.length, test: testIdx?.length ?? 0 },
    async close() {
      for (const l of [train, val, test]) await l?.close();
    },
  };
}

export async function buildData(cfg: DataConfig, seed: number, device: string): Promise<ExperimentData> {
  return cfg.name === 'fashion-mnist' ? fashionMnist(cfg, seed, device) : imageFolder(cfg, seed, device);
}

/** The data of an experiment for its task: classification as buildData, inpainting with masks. */
export async function buildExperimentData(cfg: ExperimentConfig): Promise<ExperimentData> {
  if (cfg.task === 'inpainting') {
    const { inpaintingData } = await import('./inpaint-data.js');
    return inpaintingData(cfg);
  }
  return buildData(cfg.data, cfg.seed, cfg.device);
}
