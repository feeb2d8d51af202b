// Image-quality metrics for image-to-image models (inpainting, denoising, super-resolution): PSNR and
// SSIM per image of a batch [N, C, H, W], computed with torch ops in float64 on the batch's device and
// matching scikit-image (skimage.metrics.peak_signal_noise_ratio and structural_similarity with
// channel_axis) to ~1e-12. ssimMetric()/psnrMetric() wrap them as epoch metrics (see metrics.ts).
// docs/image-metrics.md describes the choices (data range, SSIM presets, borders).

import { torch, Tensor } from '../torch/index.js';
import { MetricError, checkKind, countField } from './metric-checks.js';
import type { Metric, MetricState } from './metrics.js';

/** Per-image values of a batch, in batch order, and their mean (NaN for an empty batch). */
export interface ImageScores {
  perImage: number[];
  mean: number;
}

export interface PsnrOptions {
  /**
   * The range of possible pixel values, max - min: 1 for images in [0, 1], 255 for 8-bit pixels, 2
   * for [-1, 1]. Required: guessing it from the dtype, as skimage does, is wrong for most float data.
   */
  dataRange: number;
}

/**
 * 'skimage': structural_similarity's defaults: a 7x7 uniform window, sample covariance (N-1).
 * 'wang': Wang et al. 2004 as skimage documents it (gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False): an 11x11 Gaussian window (truncate 3.5), population covariance.
 * Both use K1 = 0.01, K2 = 0.03.
 */
export type SsimPreset = 'skimage' | 'wang';

export interface SsimOptions extends PsnrOptions {
  /** Default 'skimage'. */
  preset?: SsimPreset;
}

const K1 = 0.01;
const K2 = 0.03;
const SIGMA = 1.5;
const TRUNCATE = 3.5;

interface Window {
  size: number;
  /** Row-major size*size weights summing to 1. */
  weights: number[];
  covNorm: number;
}

/** The SSIM window of a preset, built as scipy.ndimage builds it (uniform_filter / gaussian_filter). */
export function ssimWindow(preset: SsimPreset): { size: number; weights: number[]; sampleCovariance: boolean } {
  const w = windowOf(preset);
  return { size: w.size, weights: [...w.weights], sampleCovariance: w.covNorm !== 1 };
}

function windowOf(preset: SsimPreset): Window {
  if (preset === 'skimage') {
    const size = 7;
    const np = size * size;
    return { size, weights: new Array<number>(np).fill(1 / np), covNorm: np / (np - 1) };
  }
  // scipy's _gaussian_kernel1d: radius int(truncate * sigma + 0.5), exp(-x^2 / (2 sigma^2)) normalised.
  const r = Math.floor(TRUNCATE * SIGMA + 0.5);
  const g: number[] = [];
  for (let x = -r; x <= r; x++) g.push(Math.exp((-0.5 * x * x) / (SIGMA * SIGMA)));
  const s = g.reduce((a, b) => a + b, 0);
  const k = g.map((v) => v / s);
  const weights: number[] = [];
  for (const a of k) for (const b of k) weights.push(a * b);
  return { size: 2 * r + 1, weights, covNorm: 1 };
}

function shapeOf(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Checks a pred/target pair of image batches; returns [N, C, H, W]. */
function checkImages(metric: string, pred: unknown, target: unknown, dataRange: unknown, minSide: number): [number, number, number, number] {
  for (const [what, t] of [['pred', pred], ['target', target]] as const) {
    if (!(t instanceof Tensor)) {
      throw new MetricError(metric, `${what} must be a Tensor of images [N, C, H, W], got ${t === null ? 'null' : typeof t}.`);
    }
    if (t.isDisposed) throw new MetricError(metric, `${what} was already disposed. Score the batch before its tensors are released.`);
    if (t.ndim !== 4) {
      const hint = t.ndim === 3 ? ' For a single image [C, H, W] use x.unsqueeze(0); for a batch of one-channel images [N, H, W] use x.unsqueeze(1).' : '';
      throw new MetricError(metric, `${what} must be a batch of images [N, C, H, W], got shape ${shapeOf(t)}.${hint}`);
    }
    if (t.dtype === 'bool' || t.dtype === 'complex64' || t.dtype === 'complex128') {
      throw new MetricError(metric, `${what} must hold real pixel values, got ${t.dtype}.`);
    }
  }
  const p = pred as Tensor;
  const q = target as Tensor;
  if (p.shape.join(',') !== q.shape.join(',')) {
    throw new MetricError(metric, `pred has shape ${shapeOf(p)} but target has ${shapeOf(q)}. Compare images of the same size and channels (resize or crop one of them first).`);
  }
  if (p.device !== q.device) {
    throw new MetricError(metric, `pred is on ${String(p.device)} but target on ${String(q.device)}. Move them to the same device first.`);
  }
  if (typeof dataRange !== 'number' || !Number.isFinite(dataRange) || dataRange <= 0) {
    throw new MetricError(metric, `dataRange must be a finite number > 0 (max - min of possible pixel values: 1 for [0, 1], 255 for 8-bit, 2 for [-1, 1]), got ${String(dataRange)}.`);
  }
  const [n, c, h, w] = p.shape as [number, number, number, number];
  if (n > 0 && c === 0) throw new MetricError(metric, `images have 0 channels (shape ${shapeOf(p)}).`);
  if (h < minSide || w < minSide) {
    throw new MetricError(metric, `images are ${h}x${w} but the window is ${minSide}x${minSide}: each side must be at least ${minSide}. Use larger images, or preset 'skimage' (7x7 window) instead of 'wang' (11x11).`);
  }
  return [n, c, h, w];
}

function scores(perImage: number[]): ImageScores {
  return { perImage, mean: perImage.length === 0 ? NaN : perImage.reduce((a, b) => a + b, 0) / perImage.length };
}

/**
 * Peak signal-to-noise ratio per image, as skimage.metrics.peak_signal_noise_ratio on each image
 * [C, H, W]: 10 log10(dataRange^2 / MSE), with the MSE over the image's channels and pixels.
 * Identical images give Infinity. `mean` is the plain mean of the per-image values.
 */
export function psnr(pred: Tensor, target: Tensor, opts: PsnrOptions): ImageScores {
  const dataRange = (opts as Partial<PsnrOptions> | undefined)?.dataRange;
  const [n] = checkImages('psnr', pred, target, dataRange, 1);
  if (n === 0) return scores([]);
  const mse = torch.noGrad(() => torch.tidy(() => pred.double().sub(target.double()).square().reshape([n, -1]).mean(1).toNumbers()));
  const r2 = (dataRange as number) ** 2;
  return scores(mse.map((e) => 10 * Math.log10(r2 / e)));
}

/**
 * Mean structural similarity per image, as skimage.metrics.structural_similarity(pred_i, target_i,
 * channel_axis=0, data_range=dataRange, **preset) on each image [C, H, W]: the SSIM map of each
 * channel, with (window-1)/2 pixels cropped from every border, averaged, then averaged over
 * channels. Computed in float64 with one grouped conv2d (valid padding, which is exactly the
 * cropped region of skimage's filtered maps). Not differentiable (runs under noGrad).
 */
export function ssim(pred: Tensor, target: Tensor, opts: SsimOptions): ImageScores {
  const o = (opts ?? {}) as Partial<SsimOptions>;
  const preset = o.preset ?? 'skimage';
  if (preset !== 'skimage' && preset !== 'wang') {
    throw new MetricError('ssim', `preset must be 'skimage' or 'wang', got ${JSON.stringify(preset)}.`);
  }
  const win = windowOf(preset);
  const [n, c] = checkImages('ssim', pred, target, o.dataRange, win.size);
  if (n === 0) return scores([]);
  const R = o.dataRange as number;
  const C1 = (K1 * R) ** 2;
  const C2 = (K2 * R) ** 2;
  const perImage = torch.noGrad(() => torch.tidy(() => {
    const x = pred.double();
    const y = target.double();
    const groups = 5 * c;
    const kernel = torch.tensor(win.weights, { dtype: 'float64', device: x.device })
      .reshape([1, 1, win.size, win.size]).expand([groups, 1, win.size, win.size]).contiguous();
    // [N, 5C, h, w]: local means of x, y, x^2, y^2, xy, one window per channel (groups = 5C).
    const f = torch.conv2d(torch.cat([x, y, x.mul(x), y.mul(y), x.mul(y)], 1), kernel, { groups });
    const [ux, uy, uxx, uyy, uxy] = f.split(c, 1) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    const vx = uxx.sub(ux.mul(ux)).mul(win.covNorm);
    const vy = uyy.sub(uy.mul(uy)).mul(win.covNorm);
    const vxy = uxy.sub(ux.mul(uy)).mul(win.covNorm);
    const a1 = ux.mul(uy).mul(2).add(C1);
    const a2 = vxy.mul(2).add(C2);
    const b1 = ux.mul(ux).add(uy.mul(uy)).add(C1);
    const b2 = vx.add(vy).add(C2);
    const s = a1.mul(a2).div(b1.mul(b2));
    return s.mean([2, 3]).mean(1).toNumbers();
  }));
  return scores(perImage);
}

/**
 * An epoch metric over image batches: update(outputs, targets) scores each image of the batch and
 * compute() is the mean over every image since reset() (so batches weigh by their size).
 */
export class ImageQualityMetric implements Metric<number> {
  readonly name: string;
  readonly kind: 'psnr' | 'ssim';
  readonly options: Readonly<SsimOptions>;
  // Neumaier-compensated sum of the finite per-image values, plus a count of infinite ones
  // (PSNR of identical images), which JSON states cannot hold as numbers.
  private sum = 0;
  private compensation = 0;
  private count = 0;
  private infinite = 0;
  constructor(kind: 'psnr' | 'ssim', opts: SsimOptions & { name?: string }) {
    this.kind = kind;
    this.name = opts?.name ?? kind;
    const dataRange = (opts as Partial<SsimOptions> | undefined)?.dataRange;
    if (typeof dataRange !== 'number' || !Number.isFinite(dataRange) || dataRange <= 0) {
      throw new MetricError(this.name, `dataRange must be a finite number > 0 (1 for images in [0, 1], 255 for 8-bit, 2 for [-1, 1]), got ${String(dataRange)}.`);
    }
    const preset = opts.preset ?? 'skimage';
    if (kind === 'ssim' && preset !== 'skimage' && preset !== 'wang') {
      throw new MetricError(this.name, `preset must be 'skimage' or 'wang', got ${JSON.stringify(preset)}.`);
    }
    this.options = kind === 'ssim' ? { dataRange, preset } : { dataRange };
  }
  /** outputs: predicted images [B, C, H, W]; targets: the reference images, same shape. */
  update(outputs: Tensor, targets: Tensor): void {
    let values: number[];
    try {
      values = (this.kind === 'psnr' ? psnr(outputs, targets, this.options) : ssim(outputs, targets, this.options)).perImage;
    } catch (e) {
      if (e instanceof MetricError && e.metric !== this.name) throw new MetricError(this.name, e.message.slice(e.metric.length + 2));
      throw e;
    }
    if (values.some((v) => Number.isNaN(v))) {
      throw new MetricError(this.name, 'an image scored NaN: outputs or targets contain NaN. Check the model (it may have diverged) and the data.');
    }
    for (const v of values) {
      this.count += 1;
      if (v === Infinity) {
        this.infinite += 1;
        continue;
      }
      const t = this.sum + v;
      this.compensation += Math.abs(this.sum) >= Math.abs(v) ? this.sum - t + v : v - t + this.sum;
      this.sum = t;
    }
  }
  /** The mean over all images so far; NaN before any image, Infinity if any PSNR was infinite. */
  compute(): number {
    if (this.count === 0) return NaN;
    if (this.infinite > 0) return Infinity;
    return (this.sum + this.compensation) / this.count;
  }
  reset(): void {
    this.sum = 0;
    this.compensation = 0;
    this.count = 0;
    this.infinite = 0;
  }
  private get stateKind(): string {
    return this.kind === 'psnr' ? 'PsnrMetric' : 'SsimMetric';
  }
  state(): MetricState {
    const s: MetricState = { kind: this.stateKind, dataRange: this.options.dataRange, sum: this.sum, compensation: this.compensation, count: this.count, infinite: this.infinite };
    if (this.kind === 'ssim') s.preset = this.options.preset ?? 'skimage';
    return s;
  }
  loadState(state: MetricState): void {
    const s = checkKind(this.name, state, this.stateKind);
    if (s.dataRange !== this.options.dataRange || (this.kind === 'ssim' && s.preset !== this.options.preset)) {
      const saved = this.kind === 'ssim' ? `dataRange=${String(s.dataRange)}, preset=${String(s.preset)}` : `dataRange=${String(s.dataRange)}`;
      const mine = this.kind === 'ssim' ? `dataRange=${this.options.dataRange}, preset=${String(this.options.preset)}` : `dataRange=${this.options.dataRange}`;
      throw new MetricError(this.name, `the state was saved with ${saved}, this metric has ${mine}.`);
    }
    const { sum, compensation } = s;
    if (typeof sum !== 'number' || typeof compensation !== 'number' || !Number.isFinite(sum) || !Number.isFinite(compensation)) {
      throw new MetricError(this.name, 'state must hold finite numbers sum and compensation. Load a state saved by the same kind of metric.');
    }
    const count = countField(this.name, s, 'count');
    const infinite = countField(this.name, s, 'infinite');
    if (infinite > count) throw new MetricError(this.name, `state has infinite=${infinite} > count=${count}.`);
    this.sum = sum;
    this.compensation = compensation;
    this.count = count;
    this.infinite = infinite;
  }
}

/** Mean SSIM over all images of an epoch (see ssim()). */
export function ssimMetric(opts: SsimOptions & { name?: string }): ImageQualityMetric {
  return new ImageQualityMetric('ssim', opts);
}

/** Mean PSNR over all images of an epoch (see psnr()); Infinity if any image matched exactly. */
export function psnrMetric(opts: PsnrOptions & { name?: string }): ImageQualityMetric {
  return new ImageQualityMetric('psnr', opts);
}
