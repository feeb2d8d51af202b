// Fréchet distance between two sets of feature vectors, and the features to feed it: the activations
// that enter a classifier's final Linear layer. Used with Sous's own Fashion-MNIST classifier
// (SmallCNN), the result is "Fréchet distance on Sous's own Fashion-MNIST classifier features": the
// formula of FID, but NOT comparable to published FID numbers, which use Inception-v3 pool features
// of 299×299 RGB images. Compare numbers only when they come from the same classifier checkpoint
// and the same reference set. docs/inpainting.md ("Fréchet distance") describes the choices.

import { torch, Tensor } from '../torch/index.js';
import type { AnyModule, HookHandle } from '../nn/module.js';
import { Linear } from '../nn/layers/linear.js';

/** What the Fréchet distance of this module is called in logs, tables and docs. */
export const FRECHET_DISTANCE_NAME = "Fréchet distance on Sous's own Fashion-MNIST classifier features";

/** Bad input to frechetDistance / featureStatistics / classifierFeatures. */
export class FrechetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrechetError';
  }
}

/** Mean and covariance (N-1 normalisation, as numpy.cov and pytorch-fid) of a feature set, in float64. */
export interface FeatureStatistics {
  /** Number of samples the statistics were computed from. */
  count: number;
  /** Feature dimension D. */
  dim: number;
  /** The mean, length D. */
  mean: Float64Array;
  /** The covariance, D*D row-major. */
  cov: Float64Array;
}

function shapeOf(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

function checkFeatures(what: string, t: unknown): [number, number] {
  if (!(t instanceof Tensor)) {
    throw new FrechetError(`${what} must be a Tensor of features [N, D], got ${t === null ? 'null' : typeof t}.`);
  }
  if (t.isDisposed) throw new FrechetError(`${what} was already disposed.`);
  if (t.ndim !== 2) {
    throw new FrechetError(`${what} must be a feature matrix [N, D] (one row per sample), got shape ${shapeOf(t)}. Flatten per-sample features first, e.g. x.reshape([x.shape[0], -1]).`);
  }
  if (!t.isFloatingPoint() && t.dtype !== 'int64' && t.dtype !== 'int32' && t.dtype !== 'int16' && t.dtype !== 'int8' && t.dtype !== 'uint8') {
    throw new FrechetError(`${what} must hold real numbers, got ${t.dtype}.`);
  }
  const [n, d] = t.shape as [number, number];
  if (n < 2) throw new FrechetError(`${what} has ${n} sample${n === 1 ? '' : 's'}; the covariance needs at least 2 (and a meaningful Fréchet distance thousands).`);
  if (d < 1) throw new FrechetError(`${what} has feature dimension 0 (shape ${shapeOf(t)}).`);
  return [n, d];
}

/**
 * The mean and covariance (divided by N-1) of features [N, D], computed in float64 on the CPU. Compute
 * them once for a reference set and pass them to frechetDistanceFromStatistics for each candidate.
 */
export function featureStatistics(features: Tensor): FeatureStatistics {
  const [n, d] = checkFeatures('features', features);
  return torch.noGrad(() => torch.tidy(() => {
    const x = features.cpu().double();
    if (!x.isfinite().all().item()) {
      const nan = Boolean(x.isnan().any().item());
      throw new FrechetError(`features contain ${nan ? 'NaN' : 'infinite'} values. The classifier diverged, or its input had NaN/Inf: check the images and the checkpoint.`);
    }
    const mean = x.mean(0);
    const c = x.sub(mean);
    const cov = c.mT().matmul(c).div(n - 1);
    // Exactly symmetric, so eigh sees the same matrix whichever triangle it reads.
    const sym = cov.add(cov.mT()).mul(0.5);
    return {
      count: n,
      dim: d,
      mean: Float64Array.from(mean.toArray() as Float64Array),
      cov: Float64Array.from(sym.contiguous().toArray() as Float64Array),
    };
  }));
}

function checkStatistics(what: string, s: FeatureStatistics): void {
  if (s === null || typeof s !== 'object' || !(s.mean instanceof Float64Array) || !(s.cov instanceof Float64Array)) {
    throw new FrechetError(`${what} must be a FeatureStatistics object (from featureStatistics()).`);
  }
  if (s.mean.length !== s.dim || s.cov.length !== s.dim * s.dim) {
    throw new FrechetError(`${what} is inconsistent: dim ${s.dim} but mean has ${s.mean.length} values and cov ${s.cov.length}.`);
  }
}

/**
 * √λ of the eigenvalues λ of a symmetric positive semi-definite d×d matrix, with those below
 * d·ε·max|λ| (rounding noise around a true 0, as numpy.linalg.matrix_rank's tolerance) set to 0:
 * the square root would otherwise blow noise of 1e-16 up to 1e-8 per eigenvalue, which adds up
 * over the null space of a covariance estimated from fewer samples than dimensions.
 */
function roundedSqrt(lam: Tensor, d: number): Tensor {
  const cutoff = lam.abs().max().mul(d * Number.EPSILON);
  return torch.where(lam.gt(cutoff), lam, torch.zeros_like(lam)).sqrt();
}

/**
 * ‖μa−μb‖² + tr(Σa) + tr(Σb) − 2 tr((Σa Σb)^{1/2}) from two sets of statistics, in float64.
 *
 * tr((Σa Σb)^{1/2}) is computed as Σ sqrt(λ_i) over the eigenvalues λ_i of the symmetric positive
 * semi-definite matrix Σa^{1/2} Σb Σa^{1/2} (which has the eigenvalues of Σa Σb), with Σa^{1/2} from
 * eigh; eigenvalues within rounding of 0 (below D·ε·λmax, negative ones included) count as 0. Unlike scipy.linalg.sqrtm on the
 * non-symmetric Σa Σb (pytorch-fid), this stays real and accurate when the covariances are singular
 * (fewer samples than dimensions). The result is clamped at 0 (rounding can give -1e-15).
 */
export function frechetDistanceFromStatistics(a: FeatureStatistics, b: FeatureStatistics): number {
  checkStatistics('a', a);
  checkStatistics('b', b);
  if (a.dim !== b.dim) {
    throw new FrechetError(`the feature sets have different dimensions: a has D=${a.dim}, b has D=${b.dim}. Extract both with the same classifier and layer.`);
  }
  const d = a.dim;
  return torch.noGrad(() => torch.tidy(() => {
    const mu1 = torch.fromTypedArray(a.mean, [d]);
    const mu2 = torch.fromTypedArray(b.mean, [d]);
    const s1 = torch.fromTypedArray(a.cov, [d, d]);
    const s2 = torch.fromTypedArray(b.cov, [d, d]);
    const diff = mu1.sub(mu2);
    const [w, v] = torch.linalg_eigh(s1);
    const root = v.mul(roundedSqrt(w, d)).matmul(v.mT()); // Σa^{1/2} = V diag(√w) Vᵀ
    const m = root.matmul(s2).matmul(root);
    const trSqrt = roundedSqrt(torch.linalg_eigvalsh(m.add(m.mT()).mul(0.5)), d).sum();
    const fd = diff.dot(diff).add(s1.trace()).add(s2.trace()).sub(trSqrt.mul(2)).item();
    return Math.max(0, fd);
  }));
}

/**
 * Fréchet distance between feature sets a [N, D] and b [M, D] (any device and real dtype; computed in
 * float64 on the CPU): ‖μa−μb‖² + tr(Σa) + tr(Σb) − 2 tr((Σa Σb)^{1/2}), covariances divided by N−1
 * as numpy.cov and pytorch-fid. With classifierFeatures() of Sous's Fashion-MNIST classifier this is
 * the "Fréchet distance on Sous's own Fashion-MNIST classifier features", which is NOT comparable to
 * published FID (Inception-v3 features of 299×299 RGB images).
 */
export function frechetDistance(a: Tensor, b: Tensor): number {
  const [, da] = checkFeatures('a', a);
  const [, db] = checkFeatures('b', b);
  if (da !== db) {
    throw new FrechetError(`a has D=${da} features per sample (shape ${shapeOf(a)}) but b has D=${db} (shape ${shapeOf(b)}). Extract both with the same classifier and layer.`);
  }
  let sa: FeatureStatistics;
  let sb: FeatureStatistics;
  try {
    sa = featureStatistics(a);
  } catch (e) {
    throw e instanceof FrechetError ? new FrechetError(`a: ${e.message}`) : e;
  }
  try {
    sb = featureStatistics(b);
  } catch (e) {
    throw e instanceof FrechetError ? new FrechetError(`b: ${e.message}`) : e;
  }
  return frechetDistanceFromStatistics(sa, sb);
}

export interface ClassifierFeatureOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
  /**
   * The name (as in model.namedModules()) of the layer whose INPUT is the feature vector. Default:
   * the last Linear module that runs in the forward pass (for SmallCNN, its output layer, whose input
   * is the 128-wide hidden activation after ReLU).
   */
  layer?: string;
}

/**
 * The activations that feed a classifier's final Linear layer, for inputs [N, ...]: a forward hook on
 * the last Linear module that runs (or on the module named `opts.layer`) captures its input. The model
 * runs in eval mode (each module's mode is restored after) without autograd, `batchSize` samples at a
 * time on the device of its parameters. Returns features [N, D] on the CPU (kept by the caller's
 * scope, or dispose it yourself), in the dtype the model computes in.
 */
export function classifierFeatures(model: AnyModule, inputs: Tensor, opts: ClassifierFeatureOptions = {}): Tensor {
  if (model === null || typeof model !== 'object' || typeof (model as { namedModules?: unknown }).namedModules !== 'function') {
    throw new FrechetError('model must be an nn.Module (e.g. a SmallCNN classifier).');
  }
  if (!(inputs instanceof Tensor)) throw new FrechetError(`inputs must be a Tensor [N, ...], got ${inputs === null ? 'null' : typeof inputs}.`);
  if (inputs.isDisposed) throw new FrechetError('inputs was already disposed.');
  if (inputs.ndim < 1) throw new FrechetError('inputs must have a batch dimension [N, ...], got a scalar.');
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new FrechetError(`batchSize must be an integer >= 1, got ${String(batchSize)}.`);
  const named = [...model.namedModules()];
  let targets: [string, AnyModule][];
  if (opts.layer !== undefined) {
    const hit = named.find(([name]) => name === opts.layer);
    if (hit === undefined) {
      throw new FrechetError(`the model has no module named '${opts.layer}'. Its modules: ${named.map(([k]) => `'${k}'`).join(', ')}.`);
    }
    targets = [hit];
  } else {
    targets = named.filter(([, m]) => m instanceof Linear);
    if (targets.length === 0) {
      throw new FrechetError(`the model has no Linear layer, so there is no final Linear to take features from. Name the layer whose input is the feature vector with opts.layer (modules: ${named.map(([k]) => `'${k}'`).join(', ')}).`);
    }
  }
  const n = inputs.shape[0]!;
  const param = model.parameters()[0];
  const device = param?.device;
  let captured: { name: string; input: unknown } | null = null;
  const handles: HookHandle[] = targets.map(([name, m]) => m.registerForwardHook((_mod, input) => {
    captured = { name, input: input[0] };
    return undefined;
  }));
  const modes = [...model.modules()].map((m) => [m, m.training] as const);
  model.eval();
  const parts: Tensor[] = [];
  let width = -1;
  let layerName = '';
  try {
    for (let start = 0; start < n; start += batchSize) {
      const len = Math.min(batchSize, n - start);
      const part = torch.noGrad(() => torch.tidy(() => {
        captured = null;
        const x = inputs.narrow(0, start, len);
        model.call(device === undefined ? x : x.to(device));
        const got = captured as { name: string; input: unknown } | null;
        if (got === null) {
          throw new FrechetError(opts.layer !== undefined
            ? `the layer '${opts.layer}' did not run in the model's forward pass.`
            : 'no Linear layer ran in the model\'s forward pass. Name the layer whose input is the feature vector with opts.layer.');
        }
        const f = got.input;
        const label = got.name === '' ? 'the model itself' : `'${got.name}'`;
        if (!(f instanceof Tensor) || f.ndim !== 2 || f.shape[0] !== len) {
          const shape = f instanceof Tensor ? shapeOf(f) : typeof f;
          throw new FrechetError(`the input of ${label} should be features [${len}, D] for a batch of ${len}, got ${shape}. Pick a layer that takes one flat vector per sample (opts.layer).`);
        }
        if (width >= 0 && (f.shape[1] !== width || got.name !== layerName)) {
          throw new FrechetError(`the features changed between batches (${layerName} [*, ${width}] then ${got.name} [*, ${f.shape[1]}]); name the layer with opts.layer.`);
        }
        width = f.shape[1]!;
        layerName = got.name;
        return f.detach().cpu().clone();
      }));
      parts.push(part);
    }
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of modes) m.training = t;
  }
  if (parts.length === 0) throw new FrechetError('inputs has 0 samples; there are no features to compute.');
  if (parts.length === 1) return parts[0]!;
  const out = torch.cat(parts, 0);
  for (const p of parts) p.dispose();
  return out;
}
