// Contexts for the data-check tests: synthetic images with class-dependent patterns, or a sample of
// Fashion-MNIST, normalised as training would, with a tiny linear model (the data checks never train).
import { torch, type Tensor, nn, optim } from '../../../src/index.js';
import { contextFromTensors } from '../../../src/checks/context.js';
import type { DoctorContext, SplitTensors } from '../../../src/checks/types.js';

export interface Owned { tensors: Tensor[] }

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Raw uint8-range images [n, c, h, w] as float32 0-255: a class-dependent blob plus noise, and labels
 * cycling through the classes (or as given).
 */
export function syntheticRaw(n: number, opts: { c?: number; h?: number; w?: number; classes?: number; seed?: number; labels?: number[] } = {}): { x: Float32Array; y: number[]; shape: number[] } {
  const c = opts.c ?? 1;
  const h = opts.h ?? 12;
  const w = opts.w ?? 12;
  const k = opts.classes ?? 4;
  const r = rng(opts.seed ?? 1);
  const x = new Float32Array(n * c * h * w);
  const y = opts.labels ?? Array.from({ length: n }, (_, i) => i % k);
  for (let i = 0; i < n; i++) {
    const cls = y[i]!;
    const cy = ((cls * 3) % h) + 1;
    const cx = ((cls * 5) % w) + 1;
    for (let ch = 0; ch < c; ch++) {
      for (let yy = 0; yy < h; yy++) {
        for (let xx = 0; xx < w; xx++) {
          const d2 = (yy - cy) ** 2 + (xx - cx) ** 2;
          const v = 200 * Math.exp(-d2 / 8) + 40 * r();
          x[((i * c + ch) * h + yy) * w + xx] = Math.round(Math.min(255, v));
        }
      }
    }
  }
  return { x, y, shape: [n, c, h, w] };
}

export function tensorOf(x: Float32Array, shape: number[]): Tensor {
  return torch.fromTypedArray(x, shape).keep();
}

export function labelsTensor(y: number[]): Tensor {
  return torch.fromTypedArray(BigInt64Array.from(y, (v) => BigInt(v)), [y.length]).keep();
}

/** (x/255 - mean) / std with the given train statistics. */
export function normalise(raw: Tensor, mean: number, std: number, scale = 255): Tensor {
  return torch.tidy(() => raw.div(scale).sub(mean).div(std)).keep();
}

export function meanStd(raw: Float32Array, scale = 255): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (const v of raw) { s += v / scale; s2 += (v / scale) ** 2; }
  const m = s / raw.length;
  return { mean: m, std: Math.sqrt(s2 / raw.length - m * m) };
}

export async function makeContext(parts: { train: SplitTensors; val?: SplitTensors; test?: SplitTensors; raw?: { train: Tensor; test?: Tensor }; classes?: string[] }): Promise<DoctorContext> {
  const d = parts.train.inputs.shape.slice(1).reduce((a, b) => a * b, 1);
  const k = parts.classes?.length ?? 4;
  return contextFromTensors({
    makeModel: () => new nn.Sequential(new nn.Flatten(), new nn.Linear(d, k)),
    makeOptimizer: (m) => new optim.SGD(m.parameters(), { lr: 0.1 }),
    loss: new nn.CrossEntropyLoss(),
    train: parts.train,
    ...(parts.val ? { val: parts.val } : {}),
    ...(parts.test ? { test: parts.test } : {}),
    ...(parts.raw ? { raw: parts.raw } : {}),
    task: 'classification',
    ...(parts.classes ? { classes: parts.classes } : {}),
    seed: 0,
  });
}

/** A healthy synthetic context: raw 0-255 train/test, normalised splits, balanced labels. */
export async function healthy(owned: Tensor[], opts: { n?: number; nTest?: number; classes?: number } = {}): Promise<{ ctx: DoctorContext; rawTrain: Float32Array; rawTest: Float32Array; yTrain: number[]; yTest: number[]; shape: number[] }> {
  const k = opts.classes ?? 4;
  const tr = syntheticRaw(opts.n ?? 200, { seed: 1, classes: k });
  const te = syntheticRaw(opts.nTest ?? 80, { seed: 2, classes: k });
  const { mean, std } = meanStd(tr.x);
  const rawTrain = tensorOf(tr.x, tr.shape);
  const rawTest = tensorOf(te.x, te.shape);
  const train = { inputs: normalise(rawTrain, mean, std), targets: labelsTensor(tr.y) };
  const test = { inputs: normalise(rawTest, mean, std), targets: labelsTensor(te.y) };
  owned.push(rawTrain, rawTest, train.inputs, train.targets, test.inputs, test.targets);
  const ctx = await makeContext({ train, test, raw: { train: rawTrain, test: rawTest }, classes: Array.from({ length: k }, (_, i) => `class${i}`) });
  return { ctx, rawTrain: tr.x, rawTest: te.x, yTrain: tr.y, yTest: te.y, shape: tr.shape };
}

/** A context from raw 0-255 arrays [n, c, h, w]: normalised splits with the train mean/std (both raw kept). */
export async function contextFromRaw(owned: Tensor[], p: {
  train: Float32Array; yTrain: number[]; test?: Float32Array; yTest?: number[]; chw: [number, number, number]; classes?: string[];
  /** overrides of what the model sees (default: normalised raw) */
  trainInputs?: (raw: Tensor) => Tensor; testInputs?: (raw: Tensor) => Tensor;
  /** the raw tensors handed to the context (default: the 0-255 arrays) */
  rawTrain?: (raw: Tensor) => Tensor; rawTest?: (raw: Tensor) => Tensor;
}): Promise<DoctorContext> {
  const [c, h, w] = p.chw;
  const { mean, std } = meanStd(p.train);
  const rTr = tensorOf(p.train, [p.yTrain.length, c, h, w]);
  owned.push(rTr);
  const keep = (t: Tensor) => { const k = t.keep(); owned.push(k); return k; };
  const train = { inputs: keep(p.trainInputs ? p.trainInputs(rTr) : normalise(rTr, mean, std)), targets: keep(labelsTensor(p.yTrain)) };
  let test: SplitTensors | undefined;
  let rTe: Tensor | undefined;
  if (p.test && p.yTest) {
    rTe = keep(tensorOf(p.test, [p.yTest.length, c, h, w]));
    test = { inputs: keep(p.testInputs ? p.testInputs(rTe) : normalise(rTe, mean, std)), targets: keep(labelsTensor(p.yTest)) };
  }
  const raw = { train: p.rawTrain ? keep(p.rawTrain(rTr)) : rTr, ...(rTe ? { test: p.rawTest ? keep(p.rawTest(rTe)) : rTe } : {}) };
  const k = p.classes?.length ?? Math.max(...p.yTrain, ...(p.yTest ?? [])) + 1;
  return makeContext({ train, ...(test ? { test } : {}), raw, classes: p.classes ?? Array.from({ length: k }, (_, i) => `class${i}`) });
}
