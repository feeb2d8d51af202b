// Hole masks for inpainting: random rectangles, drawn per sample from a generator keyed by (seed,
// epoch, sample index). Training masks change every epoch (the seed's diary: a fixed mask per
// image lets the model memorise where the hole is); evaluation masks are a function of the sample
// index alone, so val and test scores compare across epochs and across runs with the same seed.
//
// Layout everywhere in src/inpaint: images [B, C, H, W] in [0, 1]; masks [B, 1, H, W] float with
// 1 = hole (missing) and 0 = valid; model inputs [B, C+1, H, W] = the image with its hole zeroed,
// then the mask; targets [B, C+1, H, W] = the full image, then the mask (the loss needs to know
// where the hole is, and zeroing the inputs, as the doctor's baseline does, must not change it).

import { torch, type Tensor } from '../torch/index.js';
import { Rng } from '../data/random.js';

export class InpaintingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InpaintingError';
  }
}

export interface HoleOptions {
  /** smallest side of a rectangle, in pixels */
  minSize: number;
  /** largest side of a rectangle, in pixels (inclusive) */
  maxSize: number;
  /** rectangles per image (they may overlap) */
  count?: number;
}

/** A rectangle of a mask: top-left corner and size, in pixels. */
export interface Hole {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Checks hole options against an image size; returns them with the defaults filled in. */
export function checkHoleOptions(o: HoleOptions, height: number, width: number): Required<HoleOptions> {
  const count = o.count ?? 1;
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (!int(o.minSize) || o.minSize < 1) throw new InpaintingError(`hole minSize must be an integer >= 1 pixel, got ${String(o.minSize)}`);
  if (!int(o.maxSize) || o.maxSize < o.minSize) throw new InpaintingError(`hole maxSize must be an integer >= minSize (${o.minSize}), got ${String(o.maxSize)}`);
  if (o.maxSize > Math.min(height, width)) throw new InpaintingError(`hole maxSize ${o.maxSize} does not fit in a ${height}×${width} image: use at most ${Math.min(height, width)}`);
  if (!int(count) || count < 1) throw new InpaintingError(`hole count must be an integer >= 1, got ${String(count)}`);
  return { minSize: o.minSize, maxSize: o.maxSize, count };
}

/** The rectangles of one image: side lengths uniform in [minSize, maxSize], positions uniform where they fit. */
export function drawHoles(rng: Rng, height: number, width: number, o: Required<HoleOptions>): Hole[] {
  const holes: Hole[] = [];
  for (let k = 0; k < o.count; k++) {
    const h = rng.int(o.minSize, o.maxSize + 1);
    const w = rng.int(o.minSize, o.maxSize + 1);
    holes.push({ top: rng.int(0, height - h + 1), left: rng.int(0, width - w + 1), height: h, width: w });
  }
  return holes;
}

/** Masks [B, 1, H, W] (1 = hole) from each image's rectangles. */
export function holesToMask(holes: readonly (readonly Hole[])[], height: number, width: number): Tensor {
  const B = holes.length;
  const m = new Float32Array(B * height * width);
  holes.forEach((list, b) => {
    for (const r of list) {
      for (let y = r.top; y < r.top + r.height; y++) m.fill(1, b * height * width + y * width + r.left, b * height * width + y * width + r.left + r.width);
    }
  });
  return torch.fromTypedArray(m, [B, 1, height, width]);
}

/** The key that tells mask generators apart from the loader's augmentation generators of the same seed. */
const MASK_STREAM = 0x6d61736b; // 'mask'

/**
 * Masks for a batch: sample `indices[k]` of epoch `epoch` (training), or of no epoch at all
 * (`epoch` null: evaluation masks, the same whenever the sample is drawn).
 */
export function randomRectangleMasks(indices: readonly number[], height: number, width: number, o: HoleOptions, seed: number, epoch: number | null): Tensor {
  const opts = checkHoleOptions(o, height, width);
  const holes = indices.map((i) => drawHoles(epoch === null ? new Rng(seed, MASK_STREAM, 0x7fffffff, i) : new Rng(seed, MASK_STREAM, epoch, i), height, width, opts));
  return holesToMask(holes, height, width);
}

/** The model's input: the image with its hole zeroed, and the mask as an extra last channel. */
export function maskedInputs(images: Tensor, masks: Tensor): Tensor {
  checkPair(images, masks);
  return torch.tidy(() => torch.cat([images.mul(masks.neg().add(1)), masks.to(images.dtype)], 1));
}

/** The training target: the full image and the mask as an extra last channel. */
export function inpaintingTargets(images: Tensor, masks: Tensor): Tensor {
  checkPair(images, masks);
  return torch.cat([images, masks.to(images.dtype)], 1);
}

/** Splits targets (or inputs) of the layout above into the image channels and the mask. */
export function splitMaskChannel(t: Tensor): { images: Tensor; masks: Tensor } {
  if (t.ndim !== 4 || t.shape[1]! < 2) throw new InpaintingError(`inpainting targets must be [B, C+1, H, W] (the image, then the hole mask as the last channel), got [${t.shape.join(', ')}]`);
  const c = t.shape[1]! - 1;
  return { images: t.narrow(1, 0, c), masks: t.narrow(1, c, 1) };
}

/** The completed image: the prediction inside the hole, the known pixels outside it. */
export function composite(predicted: Tensor, images: Tensor, masks: Tensor): Tensor {
  return torch.tidy(() => predicted.mul(masks).add(images.mul(masks.neg().add(1))));
}

function checkPair(images: Tensor, masks: Tensor): void {
  if (images.ndim !== 4) throw new InpaintingError(`images must be [B, C, H, W], got [${images.shape.join(', ')}]`);
  const [B, , H, W] = images.shape;
  if (masks.ndim !== 4 || masks.shape[0] !== B || masks.shape[1] !== 1 || masks.shape[2] !== H || masks.shape[3] !== W) {
    throw new InpaintingError(`masks must be [B, 1, H, W] = [${B}, 1, ${H}, ${W}] for images [${images.shape.join(', ')}], got [${masks.shape.join(', ')}]`);
  }
}
