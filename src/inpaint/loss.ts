// The inpainting loss of Liu et al. 2018 (partial convolutions), section 3.3: an elementwise L1 or
// L2 (or smooth L1) error split into the hole and the valid part, each a mean over every element
// of the image (so a hole of a quarter of the image weighs a quarter), then weighted:
//   loss = hole_weight · mean(m ⊙ e) + valid_weight · mean((1 − m) ⊙ e).
// With both weights 1 it is the plain loss over the whole image. Liu et al. weigh the hole 6×.
//
// Targets carry the mask (see masks.ts); targets without it ([B, C, H, W], the shape of the
// outputs) are compared everywhere with weight 1, as a plain regression loss.

import { torch, type Tensor } from '../torch/index.js';
import { Module } from '../nn/module.js';
import { InpaintingError, splitMaskChannel } from './masks.js';

export type PixelLoss = 'l1' | 'mse' | 'smooth_l1';

export interface InpaintingLossOptions {
  /** the elementwise error (default l1) */
  kind?: PixelLoss;
  /** weight of the hole term (default 6, as Liu et al.) */
  holeWeight?: number;
  /** weight of the valid term (default 1) */
  validWeight?: number;
  /** smooth_l1: where the error turns from quadratic to linear (default 1) */
  beta?: number;
}

export class InpaintingLoss extends Module<[Tensor, Tensor], Tensor> {
  readonly kind: PixelLoss;
  readonly holeWeight: number;
  readonly validWeight: number;
  readonly beta: number;
  constructor(opts: InpaintingLossOptions = {}) {
    super();
    const known = ['kind', 'holeWeight', 'validWeight', 'beta'];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new InpaintingError(`InpaintingLoss: unknown option '${k}'; the options are ${known.join(', ')}`);
    this.kind = opts.kind ?? 'l1';
    if (!['l1', 'mse', 'smooth_l1'].includes(this.kind)) throw new InpaintingError(`InpaintingLoss: kind must be 'l1', 'mse' or 'smooth_l1', got ${JSON.stringify(opts.kind)}`);
    const weight = (name: string, v: number | undefined, d: number) => {
      const w = v ?? d;
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new InpaintingError(`InpaintingLoss: ${name} must be a finite number >= 0, got ${String(v)}`);
      return w;
    };
    this.holeWeight = weight('holeWeight', opts.holeWeight, 6);
    this.validWeight = weight('validWeight', opts.validWeight, 1);
    this.beta = weight('beta', opts.beta, 1);
    if (this.holeWeight === 0 && this.validWeight === 0) throw new InpaintingError('InpaintingLoss: holeWeight and validWeight are both 0: nothing would be learned');
  }

  private elementwise(d: Tensor): Tensor {
    if (this.kind === 'l1') return d.abs();
    if (this.kind === 'mse') return d.mul(d);
    const a = d.abs();
    return this.beta === 0 ? a : torch.where(a.lt(this.beta), a.mul(a).mul(0.5 / this.beta), a.sub(0.5 * this.beta));
  }

  override forward(outputs: Tensor, targets: Tensor): Tensor {
    if (!outputs.isFloatingPoint()) throw new InpaintingError(`InpaintingLoss: outputs must be floating point images, got ${outputs.dtype}`);
    if (outputs.ndim !== 4) throw new InpaintingError(`InpaintingLoss: outputs must be images [B, C, H, W], got [${outputs.shape.join(', ')}]`);
    const [B, C, H, W] = outputs.shape as [number, number, number, number];
    const same = targets.ndim === 4 && targets.shape[0] === B && targets.shape[2] === H && targets.shape[3] === W;
    if (same && targets.shape[1] === C) return this.elementwise(outputs.sub(targets.to(outputs.dtype))).mean();
    if (!same || targets.shape[1] !== C + 1) {
      throw new InpaintingError(`InpaintingLoss: targets must be [B, C+1, H, W] = [${B}, ${C + 1}, ${H}, ${W}] (the image, then the hole mask) for outputs [${outputs.shape.join(', ')}], got [${targets.shape.join(', ')}]`);
    }
    const { images, masks } = splitMaskChannel(targets.to(outputs.dtype));
    const e = this.elementwise(outputs.sub(images));
    const hole = e.mul(masks).mean();
    const valid = e.mul(masks.neg().add(1)).mean();
    return hole.mul(this.holeWeight).add(valid.mul(this.validWeight));
  }
}
