// Gradient clipping, torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 1.13), op for op.

import { torch, Tensor } from '../torch/index.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm (default 2; Infinity for the max norm). */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default false: the grads are scaled by it anyway). */
  errorIfNonfinite?: boolean;
}

function gradsOf(params: Iterable<Tensor> | Tensor, fn: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${fn}: parameter ${i} is not a Tensor`);
    const g = p.grad;
    if (g !== null) grads.push(g);
  });
  return grads;
}

function checkNormArgs(fn: string, maxNorm: number, normType: number): void {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new TypeError(`${fn}: maxNorm must be a number, got ${String(maxNorm)}`);
  if (typeof normType !== 'number' || Number.isNaN(normType)) throw new TypeError(`${fn}: normType must be a number (Infinity for the max norm), got ${String(normType)}`);
}

/** The total norm of `grads`, as if concatenated into one vector: a 0-dim tensor on the first grad's device. */
function totalNorm(grads: Tensor[], normType: number): Tensor {
  const device = grads[0]!.device;
  if (normType === Infinity) {
    const norms = grads.map((g) => g.detach().abs().max().to(device));
    return norms.length === 1 ? norms[0]! : torch.max(torch.stack(norms));
  }
  const norms = grads.map((g) => torch.norm(g.detach(), normType, [...Array(g.ndim).keys()]).to(device));
  return torch.norm(torch.stack(norms), normType, [0]);
}

/** Scales `grads` in place by min(1, maxNorm / (total + 1e-6)), computed on the device. */
function scaleGrads(grads: Tensor[], total: Tensor, maxNorm: number): void {
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), i.e. reciprocal() * max_norm.
  const coef = torch.clamp(total.add(1e-6).reciprocal().mul(maxNorm), { max: 1.0 });
  for (const g of grads) g.detach().mul_(coef.to(g.device));
}

/**
 * Scales the gradients of `params` in place so that their total norm (as if concatenated into one
 * vector) is at most `maxNorm`; returns the total norm before clipping, as a number.
 */
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const normType = opts.normType ?? 2;
  checkNormArgs('clipGradNorm_', maxNorm, normType);
  return torch.tidy(() => torch.noGrad(() => {
    const grads = gradsOf(params, 'clipGradNorm_');
    if (grads.length === 0) return 0;
    const total = totalNorm(grads, normType);
    const norm = Number(total.item());
    if (opts.errorIfNonfinite && !Number.isFinite(norm)) {
      throw new Error(`clipGradNorm_: the total norm of order ${normType} for gradients from \`parameters\` is non-finite (${norm}), so it cannot be clipped. `
        + 'To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false');
    }
    scaleGrads(grads, total, maxNorm);
    return norm;
  }));
}

/**
 * clipGradNorm_ without reading the norm back to the host: returns it as a 0-dim tensor on the
 * gradients' device (null when no parameter has a gradient). Safe inside a CUDA-graph capture.
 */
export function clipGradNormTensor_(params: Iterable<Tensor> | Tensor, maxNorm: number, opts: Pick<ClipGradNormOptions, 'normType'> = {}): Tensor | null {
  const normType = opts.normType ?? 2;
  checkNormArgs('clipGradNormTensor_', maxNorm, normType);
  return torch.noGrad(() => torch.tidy(() => {
    const grads = gradsOf(params, 'clipGradNormTensor_');
    if (grads.length === 0) return null;
    const total = totalNorm(grads, normType);
    scaleGrads(grads, total, maxNorm);
    return total;
  }));
}

/** Clamps the gradients of `params` in place to [-clipValue, clipValue]. */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || Number.isNaN(clipValue)) throw new TypeError(`clipGradValue_: clipValue must be a number, got ${String(clipValue)}`);
  torch.tidy(() => torch.noGrad(() => {
    for (const g of gradsOf(params, 'clipGradValue_')) g.detach().clamp_(-clipValue, clipValue);
  }));
}

/** PyTorch's spellings. */
export const clip_grad_norm_ = clipGradNorm_;
export const clip_grad_value_ = clipGradValue_;
